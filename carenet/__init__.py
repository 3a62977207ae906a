"""CareNet (关爱网): case management for the care of rural left-behind children."""

__version__ = "0.1.0"
