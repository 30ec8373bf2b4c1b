import logging

logger = logging.getLogger(__name__)


def login(user: str, password: str, settings) -> None:
    # ruleid: microgate.secrets-in-logs
    logger.info("login %s %s", user, password)
    # ruleid: microgate.secrets-in-logs
    logging.debug(f"using token {settings.api_token}")
    # ruleid: microgate.secrets-in-logs
    print("key is", settings.api_key)
    # ok: microgate.secrets-in-logs
    logger.info("login for %s", user)
    # ok: microgate.secrets-in-logs
    logger.info("password changed for %s", user)
