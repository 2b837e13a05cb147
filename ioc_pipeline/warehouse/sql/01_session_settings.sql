-- Session defaults of the warehouse database (every new session: dbt's models and tests, the loaders,
-- the data-quality checks, the BI tool).
--
-- JIT off (issue 14, BENCHMARKS.md "Sixth round"). PostgreSQL compiles a query to machine code when
-- its estimated cost passes jit_above_cost; compiling took 1-2.5 s here, and the estimates of this
-- warehouse's queries are often far above their real cost (right after a nightly merge, or on views
-- over small report tables once autovacuum has analyzed them): kpi_5g_monthly ran in 0.9 ms and was
-- compiled for 2.0 s; each data test of int_operator_month_grid took 0.6-0.9 s instead of 0.05 s.
-- No query of this warehouse runs long enough for compiled code to pay that back (the 1 M full
-- rebuild: see BENCHMARKS.md). A session can still turn it on (`set jit = on`).
do $$
begin
    execute format('alter database %I set jit = off', current_database());
end
$$;
