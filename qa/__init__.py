"""hoi-dap: cited question answering over Vietnamese news articles."""

__version__ = "0.5.5"
