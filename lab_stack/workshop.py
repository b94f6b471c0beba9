"""Workshop mode: one lab for a room of learners.

The tracking server runs MLflow's basic-auth app with workspaces on PostgreSQL. Each
learner is an MLflow user with a workspace of their own name: the lessons' experiment
and model names ("meu_experimento", "previsao_precos") stay as written and never clash.
In their own workspace a learner creates and edits; in the others' they only read.
The object store's admin keys stay on the server; learners get read-only keys, enough
for the lessons that look inside the bucket. The room reaches two doors, each asking for
credentials: MLflow and the S3 API; the rest of the lab binds loopback (services.py). Prefect
has no accounts, so the room shares none: each learner's machine runs its own for lesson 07
(lab_stack.own_prefect).
"""

from __future__ import annotations

import csv
import json
import os
import re
import secrets
from pathlib import Path
from urllib.parse import quote

from lab_utils.errors import LabError

from .config import StackConfig
from .secrets import (
    WORKSHOP_ADMIN,
    admin_password,
    postgres_password,
    reader_keys,
    write_private,
)
from .services.postgres import PG_USER

ADMIN = WORKSHOP_ADMIN
READER_ROLE = "colegas"
NAME_PATTERN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class WorkshopError(LabError):
    """A workshop set-up step failed; the message says what to do."""


def seaweedfs_identities(config: StackConfig) -> list[dict]:
    """Learners read the bucket (the lessons look inside it) but never write to it."""
    key, secret = reader_keys(config)
    return [{"name": "learners", "credentials": [{"accessKey": key, "secretKey": secret}],
             "actions": [f"Read:{config.bucket}", f"List:{config.bucket}"]}]


# --- learners -----------------------------------------------------------------------------

def _learners_path(config: StackConfig) -> Path:
    return config.secrets_dir / "learners.json"


def learners(config: StackConfig) -> dict[str, str]:
    """Every learner account and its password, as `lab users` created them."""
    try:
        return json.loads(_learners_path(config).read_text())
    except FileNotFoundError:
        return {}


def _save_learners(config: StackConfig, table: dict[str, str]) -> None:
    path = _learners_path(config)
    write_private(path, json.dumps(table, indent=1, sort_keys=True))


def _admin_client(config: StackConfig):
    from mlflow import MlflowClient

    os.environ.update({"MLFLOW_TRACKING_USERNAME": ADMIN, "MLFLOW_TRACKING_PASSWORD": admin_password(config)})
    return MlflowClient(config.tracking_uri)


def _auth_store(config: StackConfig):
    """MLflow's own accounts store, opened on the server's database.

    Accounts and workspaces are created through the server's API; the room's role
    assignments (N x N) go straight to the store: ~3 ms each against ~50 ms per API call.
    """
    from mlflow.server.auth.sqlalchemy_store import SqlAlchemyStore

    store = SqlAlchemyStore()
    store.init_db(f"postgresql://{PG_USER}:{quote(postgres_password(config))}@127.0.0.1:{config.pg_port}/mlflow_auth")
    return store


def add_learners(config: StackConfig, names: list[str]) -> list[str]:
    """Create an account and a workspace per learner; return the names that were new.

    Each learner holds MLflow's `user` role in their own workspace (create, and manage what
    they create) and the `colegas` role, READ on every experiment and model, in everyone
    else's. Names already present are left as they are.
    """
    from mlflow.exceptions import MlflowException
    from mlflow.server.auth.client import AuthServiceClient

    if not config.workshop:
        raise WorkshopError("This lab is not a workshop lab: start it with `lab up --workshop`.")
    bad = [n for n in names if not NAME_PATTERN.match(n) or not 2 <= len(n) <= 63 or n == ADMIN]
    if bad:
        raise WorkshopError(
            f"invalid learner name(s) {bad}: use 2-63 lowercase letters, digits or inner hyphens "
            "(a learner's name is also the name of their MLflow workspace)."
        )
    client = _admin_client(config)
    auth = AuthServiceClient(config.tracking_uri)
    table = learners(config)
    new = [n for n in dict.fromkeys(names) if n not in table]
    for name in new:
        password = secrets.token_urlsafe(12)
        auth.create_user(name, password)
        # The server seeds the new workspace with MLflow's `admin` and `user` roles.
        client.create_workspace(name, description=f"{name}'s lessons")
        table[name] = password
        _save_learners(config, table)
    store = _auth_store(config)
    try:
        user_id = {name: store.get_user(name).id for name in table}
        reader_role = {}
        for name in table:
            try:
                reader_role[name] = store.get_role_by_name(name, READER_ROLE).id
            except MlflowException:  # a new workspace: its reader role is made here
                role = store.create_role(READER_ROLE, name, "the other learners: read experiments and models")
                for resource_type in ("experiment", "registered_model"):
                    store.add_role_permission(role.id, resource_type, "*", "READ")
                reader_role[name] = role.id
        for name in new:
            store.assign_role_to_user(user_id[name], store.get_role_by_name(name, "user").id)
            for other in table:
                if other != name:
                    store.assign_role_to_user(user_id[other], reader_role[name])
                    if other not in new:
                        store.assign_role_to_user(user_id[name], reader_role[other])
    finally:
        store.engine.dispose()
    return new


def read_roster(path: Path) -> list[str]:
    """Learner names from a CSV file with a `name` column."""
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        if "name" not in (reader.fieldnames or []):
            raise WorkshopError(f"{path} needs a header line with a `name` column (found {reader.fieldnames}).")
        return [row["name"].strip().lower() for row in reader if row["name"].strip()]


def learner_environment(config: StackConfig, name: str) -> dict[str, str]:
    """What a learner loads on their machine: where the lab is, who they are, their keys."""
    table = learners(config)
    if name not in table:
        raise WorkshopError(f"no learner {name!r}: add them with `lab users add {name}`.")
    key, secret = reader_keys(config)
    return {
        "LAB_WORKSHOP": "1",
        "LAB_HOST": config.host,
        "LAB_MLFLOW_PORT": str(config.mlflow_port),
        "LAB_S3_PORT": str(config.s3_port),
        "LAB_PREFECT_PORT": str(config.prefect_port),
        "LAB_USER": name,
        "MLFLOW_TRACKING_URI": config.tracking_uri,
        "MLFLOW_TRACKING_USERNAME": name,
        "MLFLOW_TRACKING_PASSWORD": table[name],
        "MLFLOW_WORKSPACE": name,
        # The learner's own Prefect, on their machine (lab_stack.own_prefect): the room shares none.
        "PREFECT_API_URL": config.prefect_api_url,
        "MLFLOW_S3_ENDPOINT_URL": config.s3_endpoint_url,
        "AWS_ACCESS_KEY_ID": key,
        "AWS_SECRET_ACCESS_KEY": secret,
    }
