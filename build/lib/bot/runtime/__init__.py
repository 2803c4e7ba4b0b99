"""Building and running the application: app, scheduler, web server, health, metrics, logs, HTTP."""
