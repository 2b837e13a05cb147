-- Data quality on every layer (issue 11): what a validation run covered, per-batch indexes, and
-- the operators' own `Tổng cộng` rows kept for reconciliation.

-- Which layer a run checked (`raw` per new batch, `marts` after the build, `reconciliation` across
-- sources), which source (raw checks: one_stop_shop, dvc_portal, operator_viettel, operator_vnpt),
-- the load batches it covered and the period those batches describe.
alter table dq.validation_run add column if not exists layer text not null default 'marts';
alter table dq.validation_run add column if not exists source text;
alter table dq.validation_run add column if not exists batch_ids bigint[];
alter table dq.validation_run add column if not exists period_start timestamptz;
alter table dq.validation_run add column if not exists period_end timestamptz;
create index if not exists validation_run_layer_source_idx on dq.validation_run (layer, source, run_at);

-- Expectation text and why its severity was chosen, beside each result.
alter table dq.validation_result add column if not exists description text;
alter table dq.validation_result add column if not exists severity_reason text;

-- Per-batch checks read `where batch_id = any(...)`: an index keeps them independent of history.
create index if not exists one_stop_shop__dossier_batch_idx on raw.one_stop_shop__dossier (batch_id);
create index if not exists dvc_portal__department_batch_idx on raw.dvc_portal__department (batch_id);
create index if not exists dvc_portal__formality_batch_idx on raw.dvc_portal__formality (batch_id);
create index if not exists dvc_portal__evaluation_metric_batch_idx on raw.dvc_portal__evaluation_metric (batch_id);
create index if not exists operator__report_file_batch_idx on raw.operator__report_file (batch_id);
create index if not exists operator__station_batch_idx on raw.operator__station (batch_id);
create index if not exists operator__subscriber_batch_idx on raw.operator__subscriber (batch_id);

-- The `Tổng cộng` (total) row of each sheet of each workbook version, as sent: never a station or
-- a unit (the marts do not read it), kept so the data-quality checks can reconcile the rows loaded
-- against the operator's own totals. `cells` is header label -> text; the numbers are what the
-- reader made of them (Tram: the row count the operator wrote; ThueBao: the two subscriber sums).
create table if not exists raw.operator__sheet_total (
    file_sha256          text        not null references raw.operator__report_file (sha256),
    sheet                text        not null check (sheet in ('Tram', 'ThueBao')),
    row_number           integer     not null,
    cells                jsonb       not null,
    stated_rows          bigint,
    subscribers_2g_only  bigint,
    subscribers_total    bigint,
    batch_id             bigint      not null references audit.load_batch (batch_id),
    received_at          timestamptz not null,
    primary key (file_sha256, sheet)
);
create index if not exists operator__sheet_total_batch_idx on raw.operator__sheet_total (batch_id);
