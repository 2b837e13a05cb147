{#-
    Privacy guard: no column of any table in schema marts (read by the IOC and auditors) may be
    named like a personal field of the one-stop-shop record (ChuHoSo, SoDinhDanh, SoDienThoai) or
    a translation of it. applicant_key (a keyed hash) is the only applicant identifier allowed.
-#}
-- depends_on: {{ ref('fct_dossier') }}
-- depends_on: {{ ref('dim_agency') }}
-- depends_on: {{ ref('kpi_online_rate_monthly') }}

select
    table_name,
    column_name
from information_schema.columns
where table_schema = '{{ ref("fct_dossier").schema }}'
    and (
        replace(lower(column_name), '_', '') in (
            'chuhoso', 'sodinhdanh', 'sodienthoai', 'phone', 'phonenumber',
            'applicantname', 'applicantid', 'personalid', 'cccd', 'cmnd', 'idnumber'
        )
        or lower(column_name) like '%dinh_danh%'
        or lower(column_name) like '%dien_thoai%'
        or lower(column_name) like '%phone%'
    )
