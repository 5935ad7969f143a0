"""The exceptions Bulletin Watch raises on purpose; the CLI turns them into one-line messages."""


class BulletinError(Exception):
    """Root of every error the tool reports to the user instead of crashing."""


class ConfigError(BulletinError):
    """Raised by ``config.load_settings`` for an unreadable file, an unknown key or a bad value."""


class StoreError(BulletinError):
    """Raised by ``store`` when the database cannot be opened or is from a newer version."""


class ExtractionError(BulletinError):
    """Raised by the NLP stage when the pipeline cannot be built (missing model, bad rules)."""


class SourceError(BulletinError):
    """Raised when a source name or an ad hoc URL matches no configured source."""


class ReviewError(BulletinError):
    """Raised for a correction the review page cannot take (unknown label, bad offsets, bad number)."""


class StaleReviewError(ReviewError):
    """Raised when a correction was made on a version of the review another save has replaced."""


class QueueError(BulletinError):
    """Raised when the shared crawl queue (Redis, ``--redis``) cannot be reached or used."""


class DiskFullError(StoreError):
    """Raised by ``store`` when a write fails because the archive's disk (or PostgreSQL's) is full."""


class ReadOnlyError(StoreError):
    """Raised by ``store`` when a command would write to an archive that can only be read."""
