-- Session defaults of the warehouse database (every new session: dbt's models and tests, the loaders,
-- the data-quality checks, the BI tool).
--
-- JIT off (issue 14, BENCHMARKS.md "Sixth round"). PostgreSQL compiles a query to machine code when
-- its estimated cost passes jit_above_cost; compiling took 1-2.5 s here, and the estimates of this
-- warehouse's queries are often far above their real cost (right after a nightly merge, or on views
-- over small report tables once autovacuum has analyzed them): kpi_5g_monthly ran in 0.9 ms and was
-- compiled for 2.0 s; each data test of int_operator_month_grid took 0.6-0.9 s instead of 0.05 s.
-- Compiled code pays back only over millions of rows: the full builds of the four large tables of
-- the dossier chain turn it on for themselves (their pre-hooks; the 1 M full rebuild took 116.7 s
-- with JIT, 125.5 s without). Any session can (`set jit = on`).
-- Only the database's owner (or a superuser) may set it; a pipeline role that does not own the database
-- gets a warning, and the server's setting stays.
do $$
begin
    if pg_has_role(current_user, (select datdba from pg_database where datname = current_database()), 'MEMBER') then
        execute format('alter database %I set jit = off', current_database());
    else
        raise warning 'jit stays as the server sets it: role % does not own database %',
            current_user, current_database();
    end if;
end
$$;
