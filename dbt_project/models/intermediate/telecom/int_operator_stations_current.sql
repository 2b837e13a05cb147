{#-
    The `Tram` rows that count, of the workbook that counts for each operator and month.

    A row counts when the three cells that say what it is are readable: Mã trạm (station_code),
    Công nghệ (technology) and Trạng thái (status). A problem in any other cell (coordinates, the
    administrative unit, the on-air date) does not drop the station from the KPIs: the row counts
    and keeps its `problem` (also in raw.quarantine), which bts_station publishes as `problems`.
    A station and technology listed twice counts once: its first countable row in the sheet
    (lowest row_number) wins; the later rows are left out (the loader marks them "listed twice").
-#}
with

reports as (

    select * from {{ ref('int_operator_reports_current') }}

),

stations as (

    select * from {{ ref('stg_operators__stations') }}

),

countable as (

    select
        reports.operator,
        reports.report_month,
        stations.station_code,
        stations.technology,
        stations.admin_unit,
        stations.latitude,
        stations.longitude,
        stations.status,
        stations.status_code,
        stations.on_air_date,
        stations.problem,
        reports.file_sha256,
        reports.file_name,
        stations.row_number,
        row_number() over (
            partition by reports.file_sha256, stations.station_code, stations.technology
            order by stations.row_number
        ) as listing_rank
    from reports
    inner join stations
        on reports.file_sha256 = stations.file_sha256
    where stations.station_code is not null
        and stations.technology is not null
        and stations.status_code is not null

),

final as (

    select
        operator,
        report_month,
        station_code,
        technology,
        admin_unit,
        latitude,
        longitude,
        status,
        status_code,
        on_air_date,
        problem,
        file_sha256,
        file_name,
        row_number
    from countable
    where listing_rank = 1

)

select * from final
