@echo off
rem Windows shim of the fake claude CLI (see claude_fake.py); the tests set FAKE_CLAUDE_PYTHON.
if "%FAKE_CLAUDE_PYTHON%"=="" set "FAKE_CLAUDE_PYTHON=python"
"%FAKE_CLAUDE_PYTHON%" -S "%~dp0claude_fake.py" %*
exit /b %ERRORLEVEL%
