"""A faithful mock of Labelf's auth server (an Ory Hydra) and model API, as a Starlette app."""

from .app import create_app
from .clock import Clock, ManualClock, SystemClock
from .config import ClientConfig, ConfigError, MockConfig, ModelConfig, load_config
from .errors import OAuthError

__all__ = [
    "ClientConfig",
    "Clock",
    "ConfigError",
    "ManualClock",
    "MockConfig",
    "ModelConfig",
    "OAuthError",
    "SystemClock",
    "__version__",
    "create_app",
    "load_config",
]

__version__ = "0.1.0"
