# Production image for the web, worker and beat processes (docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN useradd --create-home --uid 10001 progresonet
WORKDIR /app

COPY requirements/base.lock requirements/base.lock
RUN pip install -r requirements/base.lock

COPY --chown=progresonet:progresonet . .
# collectstatic needs importable production settings; these placeholders exist only at build.
RUN DJANGO_SETTINGS_MODULE=progresonet.settings.production \
    DJANGO_SECRET_KEY=build-only DJANGO_ALLOWED_HOSTS=build DATABASE_URL=postgres://build/build \
    CELERY_BROKER_URL=redis://build RECAPTCHA_PUBLIC_KEY=build RECAPTCHA_PRIVATE_KEY=build \
    DJANGO_PIN_PEPPER=build \
    python manage.py collectstatic --noinput

USER progresonet
EXPOSE 8000
CMD ["gunicorn", "progresonet.wsgi:application", "--config", "progresonet/gunicorn.conf.py"]
