"""shared.config.Settings as a nameko dependency: the one way a nameko service reads its settings."""

from typing import Any

from nameko.extensions import DependencyProvider

from shared import config


class SettingsProvider(DependencyProvider):
    """The Settings the process started with (config.nameko_config carries them), read once per process."""

    def setup(self) -> None:
        self.settings = config.from_nameko(self.container.config)

    def get_dependency(self, worker_ctx: Any) -> config.Settings:
        return self.settings
