"""Online registration for web banking (the cooperative's guide, section 1).

Modules: ``services`` (writes), ``selectors`` (reads), ``tokens`` (emailed links),
``captcha`` (the "No soy un robot" check behind a small interface), ``ratelimit``,
``forms``, ``views``, ``wizard``. See docs/onboarding.md.
"""
