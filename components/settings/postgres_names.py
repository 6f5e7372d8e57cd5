"""Names RDS refuses as the master user of an Aurora PostgreSQL cluster (``database.masterUsername``)."""

from __future__ import annotations

# Names RDS refuses as Aurora PostgreSQL's master user ("Can't be a reserved word for the chosen database
# engine", CreateDBCluster MasterUsername): PostgreSQL's reserved key words (src/include/parser/kwlist.h,
# RESERVED_KEYWORD), the roles RDS creates for itself and the role names PostgreSQL keeps
# (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Appendix.PostgreSQL.CommonDBATasks.Roles.html;
# CREATE ROLE: names beginning with pg_ are reserved).
POSTGRES_RESERVED_WORDS = frozenset({
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "both", "case", "cast",
    "check", "collate", "column", "constraint", "create", "current_catalog", "current_date",
    "current_role", "current_time", "current_timestamp", "current_user", "default", "deferrable", "desc",
    "distinct", "do", "else", "end", "except", "false", "fetch", "for", "foreign", "from", "grant",
    "group", "having", "in", "initially", "intersect", "into", "lateral", "leading", "limit", "localtime",
    "localtimestamp", "not", "null", "offset", "on", "only", "or", "order", "placing", "primary",
    "references", "returning", "select", "session_user", "some", "symmetric", "system_user", "table",
    "then", "to", "trailing", "true", "union", "unique", "user", "using", "variadic", "when", "where",
    "window", "with",
})
RDS_RESERVED_ROLES = frozenset({"rdsadmin", "rdsrepladmin", "rdstopmgr", "public", "none"})
RESERVED_ROLE_PREFIXES = ("pg_", "rds_")


def master_username_problem(name: str) -> str | None:
    folded = name.lower()  # PostgreSQL folds unquoted names to lower case
    if folded in POSTGRES_RESERVED_WORDS:
        return f"'{name}' is a PostgreSQL reserved word, which RDS refuses as the master user name"
    if folded in RDS_RESERVED_ROLES or folded.startswith(RESERVED_ROLE_PREFIXES):
        return f"'{name}' is reserved by RDS or PostgreSQL for their own roles"
    return None
