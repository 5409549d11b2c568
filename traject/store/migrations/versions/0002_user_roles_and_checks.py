"""user roles and groups as rows; status check constraints; overdue task index

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 08:30:00

`users.roles` and `users.groups` (JSON lists) become the tables `user_roles` and `user_groups`, so
"who may see this task" is a join on an index instead of a scan of JSON. Roles outside the fixed
set (designer, caseworker, volunteer, coordinator, admin) had no meaning and are not carried over.
`users.active` is renamed `is_active`. Status columns get check constraints.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ROLES = ("designer", "caseworker", "volunteer", "coordinator", "admin")
CHECKS = {
    "definition_versions": ("ck_definition_versions_status", ("draft", "published", "retired")),
    "cases": ("ck_cases_status", ("starting", "running", "suspended", "finished", "cancelled")),
    "tasks": ("ck_tasks_status", ("open", "completed", "cancelled")),
    "workshop_seats": ("ck_seats_status", ("booked", "waitlisted", "cancelled")),
}

users = sa.table(
    "users",
    sa.column("id", sa.Integer),
    sa.column("roles", sa.JSON),
    sa.column("groups", sa.JSON),
)
user_roles = sa.table("user_roles", sa.column("user_id", sa.Integer), sa.column("role", sa.String))
user_groups = sa.table(
    "user_groups", sa.column("user_id", sa.Integer), sa.column("group_name", sa.String)
)


def one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "user_roles",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.CheckConstraint(one_of("role", ROLES), name="ck_user_roles_role"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "role"),
    )
    op.create_table(
        "user_groups",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("group_name", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "group_name"),
    )
    op.create_index("ix_user_groups_group", "user_groups", ["group_name"])
    _copy_roles_and_groups_to_rows()
    with op.batch_alter_table("users") as batch_op:
        batch_op.alter_column("active", new_column_name="is_active")
        batch_op.drop_column("roles")
        batch_op.drop_column("groups")
    for table, (name, values) in CHECKS.items():
        with op.batch_alter_table(table) as batch_op:
            batch_op.create_check_constraint(name, one_of("status", values))
    op.create_index("ix_tasks_overdue", "tasks", ["municipality", "status", "overdue"])


def downgrade() -> None:
    op.drop_index("ix_tasks_overdue", table_name="tasks")
    for table, (name, _values) in CHECKS.items():
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(name, type_="check")
    with op.batch_alter_table("users") as batch_op:
        batch_op.alter_column("is_active", new_column_name="active")
        batch_op.add_column(sa.Column("roles", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("groups", sa.JSON(), nullable=False, server_default="[]"))
    _copy_rows_to_roles_and_groups()
    with op.batch_alter_table("users") as batch_op:
        batch_op.alter_column("roles", server_default=None)
        batch_op.alter_column("groups", server_default=None)
    op.drop_index("ix_user_groups_group", table_name="user_groups")
    op.drop_table("user_groups")
    op.drop_table("user_roles")


def _copy_roles_and_groups_to_rows() -> None:
    bind = op.get_bind()
    roles, groups = [], []
    for user_id, user_roles_json, user_groups_json in bind.execute(
        sa.select(users.c.id, users.c.roles, users.c.groups)
    ):
        roles += [{"user_id": user_id, "role": r} for r in set(user_roles_json or ()) & set(ROLES)]
        groups += [{"user_id": user_id, "group_name": g} for g in set(user_groups_json or ())]
    if roles:
        bind.execute(user_roles.insert(), roles)
    if groups:
        bind.execute(user_groups.insert(), groups)


def _copy_rows_to_roles_and_groups() -> None:
    bind = op.get_bind()
    found: dict[int, dict[str, list[str]]] = {}
    for user_id, role in bind.execute(sa.select(user_roles.c.user_id, user_roles.c.role)):
        found.setdefault(user_id, {"roles": [], "groups": []})["roles"].append(role)
    for user_id, group in bind.execute(sa.select(user_groups.c.user_id, user_groups.c.group_name)):
        found.setdefault(user_id, {"roles": [], "groups": []})["groups"].append(group)
    for user_id, lists in found.items():
        bind.execute(
            users.update()
            .where(users.c.id == user_id)
            .values(roles=sorted(lists["roles"]), groups=sorted(lists["groups"]))
        )
