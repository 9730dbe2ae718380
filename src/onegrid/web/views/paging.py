"""Paging helpers shared by the console's list pages."""

from __future__ import annotations


def query_without_page(request, *also: str) -> str:
    """The request's query string less `page` (and any of `also`, e.g. "format"), for the
    previous/next links that append their own `&page=`."""
    query = request.GET.copy()
    for key in ("page", *also):
        query.pop(key, None)
    return query.urlencode()
