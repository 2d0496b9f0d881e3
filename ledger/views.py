from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import selectors


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    accounts = selectors.member_accounts_list(member_id=request.user.member_id)
    return render(request, "ledger/dashboard.html", {"accounts": accounts})
