-- Agencies' monthly progress reports from the "Điều hành công việc" app (docs/contracts/sources.md §4):
-- every received version of every (agency, report period), exactly as sent. A report changes (draft,
-- sent, returned for revision, sent again): each state seen is a row, told apart by the hash of its
-- content; staging takes the latest by NgayCapNhat. `requested_month` is the `month` the extraction
-- asked for (YYYYMM), so a month asked for that returned nothing still shows in audit.load_batch.
create table if not exists raw.one_stop_shop__agency_report (
    agency_code        text        not null,
    report_period      text        not null,
    source_updated_at  timestamptz not null,
    record_hash        text        not null,
    payload            jsonb       not null,
    batch_id           bigint      not null references audit.load_batch (batch_id),
    received_at        timestamptz not null,
    primary key (agency_code, report_period, record_hash)
);
