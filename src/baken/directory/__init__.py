"""The partner directory (issue 17, item 1; docs/directory.md): HSDS 3.0 services per
organisation, imported and exported as files, searched in the console, kept by administrators."""

from baken.directory.model import DirectoryService
from baken.directory.repository import get_service

__all__ = ["DirectoryService", "get_service"]
