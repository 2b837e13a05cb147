-- Warehouse bootstrap. Idempotent: safe to run before every pipeline run.
--
-- Layers: raw (as received, personal data, locked) -> staging -> intermediate -> marts (IOC),
-- plus dq (data-quality results) and audit (load batches, dbt node runs) for auditors.
-- The role that runs this script is "the pipeline's own role": it owns every schema and is the
-- only one that can read raw.

create schema if not exists raw;
create schema if not exists staging;
create schema if not exists intermediate;
create schema if not exists marts;
create schema if not exists dq;
create schema if not exists audit;

-- Roles are cluster-wide; create them once, never fail when they exist.
-- Another database on the same server may be creating them at this very moment: tolerate that.
do $$
begin
    create role ioc_reader nologin;
exception when duplicate_object or unique_violation then null;
end
$$;
do $$
begin
    create role auditor nologin;
exception when duplicate_object or unique_violation then null;
end
$$;

-- Nobody but the owner sees raw, staging or intermediate.
revoke all on schema raw, staging, intermediate from public;
revoke all on all tables in schema raw from public;

-- The IOC BI tool: marts only, including tables built later.
grant usage on schema marts to ioc_reader, auditor;
grant select on all tables in schema marts to ioc_reader, auditor;
alter default privileges in schema marts grant select on tables to ioc_reader, auditor;

-- Auditors additionally read data-quality results and load history.
grant usage on schema dq, audit to auditor;
grant select on all tables in schema dq, audit to auditor;
alter default privileges in schema dq grant select on tables to auditor;
alter default privileges in schema audit grant select on tables to auditor;
