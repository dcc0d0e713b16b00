"""Errors whose message is shown to the user as-is (one clear sentence), in English and, where given, Vietnamese."""


class QAError(Exception):
    """Base class: the message is meant for the user; `vi` is the same sentence for the Vietnamese page."""

    def __init__(self, message: str, vi: str | None = None):
        super().__init__(message)
        self.vi = vi or message

    def __reduce__(self):  # pickled with its Vietnamese sentence (an error crossing processes of a Ray cluster)
        return self.__class__, (str(self), self.vi)


class InputError(QAError):
    """A question or file the product cannot accept."""


class IndexMissing(QAError):
    """No index has been built yet in the index folder."""


class IndexMismatch(QAError):
    """The index on disk was built with other settings, another model or format, or is damaged."""


class ModelMissing(QAError):
    """The embedding model is not available locally."""


class DeviceMissing(QAError):
    """The requested device (a CUDA GPU) is not available to the embedder."""


class IndexBusy(QAError):
    """Another process is writing the index."""
