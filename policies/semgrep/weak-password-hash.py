import hashlib
import os


class User:
    password_hash = ""

    def set_password(self, value: str) -> None:
        self.password_hash = value


def register(user: User, password: str) -> None:
    digest = hashlib.md5(password.encode()).hexdigest()
    # ruleid: microgate.weak-password-hash
    user.set_password(digest)


def register_sha1(record: dict, password: str) -> None:
    # ruleid: microgate.weak-password-hash
    record["password"] = hashlib.sha1(password.encode()).hexdigest()


def register_safely(user: User, password: str) -> None:
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 600_000)
    # ok: microgate.weak-password-hash
    user.set_password(salt.hex() + digest.hex())


def checksum(data: bytes) -> str:
    # ok: microgate.weak-password-hash
    etag = hashlib.md5(data).hexdigest()
    return etag
