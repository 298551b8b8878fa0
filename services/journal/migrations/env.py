from alembic import context
from sqlalchemy import create_engine

from services.journal.models import metadata
from shared import config as app_config

url = context.config.attributes.get("url") or app_config.load().database_url


def run():
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
