-- The telecom operators' monthly XLSX reports (docs/contracts/sources.md §3), as delivered.
-- One row per delivered file version, keyed by the hash of its bytes: the same file dropped twice
-- is stored once; a corrected workbook for the same month is a second version (both are kept,
-- dbt picks the latest). The original bytes stay here, so any row can be re-read from its file.
create table if not exists raw.operator__report_file (
    sha256          text        primary key,
    operator        text        not null check (operator in ('viettel', 'vnpt')),
    report_month    date        not null check (report_month = date_trunc('month', report_month)::date),
    file_name       text        not null,
    size_bytes      bigint      not null,
    -- when the file landed in the inbox (its mtime); on_time = before the 10th of the next
    -- month, 00:00 Asia/Ho_Chi_Minh
    arrived_at      timestamptz not null,
    on_time         boolean     not null,
    period_label    text,       -- the title's `Kỳ báo cáo: MM/YYYY`, as written
    reporting_unit  text,       -- the title's `Đơn vị báo cáo: ...`
    content         bytea       not null,
    batch_id        bigint      not null references audit.load_batch (batch_id),
    received_at     timestamptz not null
);
create index if not exists operator__report_file_month_idx on raw.operator__report_file (operator, report_month);

-- Sheet `Tram`: one row per table row of each file version (row_number = the Excel row).
-- `cells` is the row as sent (header label -> text); the typed columns are what the reader made of
-- it, null where it could not. A row with a `problem` is kept here and also listed in raw.quarantine.
create table if not exists raw.operator__station (
    file_sha256     text        not null references raw.operator__report_file (sha256),
    row_number      integer     not null,
    station_code    text,
    technology      text,
    admin_unit      text,
    latitude        double precision,
    longitude       double precision,
    status          text,
    on_air_date     date,
    cells           jsonb       not null,
    problem         text,
    batch_id        bigint      not null references audit.load_batch (batch_id),
    received_at     timestamptz not null,
    primary key (file_sha256, row_number)
);

-- Sheet `ThueBao`: one row per administrative unit of each file version.
create table if not exists raw.operator__subscriber (
    file_sha256          text        not null references raw.operator__report_file (sha256),
    row_number           integer     not null,
    admin_unit           text,
    subscribers_2g_only  bigint,
    subscribers_total    bigint,
    cells                jsonb       not null,
    problem              text,
    batch_id             bigint      not null references audit.load_batch (batch_id),
    received_at          timestamptz not null,
    primary key (file_sha256, row_number)
);
