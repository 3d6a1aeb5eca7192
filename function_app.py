"""Lifeboat's Function App: creates the app, configures logging, registers the blueprints."""

import azure.functions as func

from functions import BLUEPRINTS
from shared.logging_setup import configure_logging

configure_logging()

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
for blueprint in BLUEPRINTS:
    app.register_functions(blueprint)
