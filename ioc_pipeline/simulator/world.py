"""The simulated world: which agencies exist and which procedures they handle.

This is the one place that says *who* the province's one-stop desks are and *what* they handle, in
the exact item formats of the portal API (`shared/contracts/sources.md` §2), so that the portal
simulator can serve these lists as they are and the dossier generator can draw from them. Keeping
the world as plain data (not code paths) lets a later, wider simulator add agencies or procedures
without touching generation or serving.

Codes are illustrative but shaped like the real ones: electronic agency codes `000.00.NN.H03` for
provincial departments and district People's Committees, `000.MM.NN.H03` for commune-level units
under district `NN`; administrative-unit codes from the national list (province 77, Vũng Tàu 747,
Côn Đảo 755, wards 265xx). Côn Đảo is a district without commune-level units, so every commune here
lies under Vũng Tàu.
"""

from __future__ import annotations

from datetime import date

# Version boundary of the one renamed agency (Long Sơn: commune → ward), to test agency history.
RENAME_DATE = "2024-10-01"

# One dict per agency *version*, exactly the portal `departments` item. Ordered by code, then validFrom.
AGENCIES: list[dict] = [
    {
        "code": "000.00.11.H03",
        "name": "Sở Tư pháp tỉnh Bà Rịa - Vũng Tàu",
        "level": "TINH",
        "parentCode": None,
        "adminUnitCode": "77",
        "validFrom": "2015-01-01",
        "validTo": None,
    },
    {
        "code": "000.00.13.H03",
        "name": "Sở Kế hoạch và Đầu tư tỉnh Bà Rịa - Vũng Tàu",
        "level": "TINH",
        "parentCode": None,
        "adminUnitCode": "77",
        "validFrom": "2015-01-01",
        "validTo": None,
    },
    {
        "code": "000.00.17.H03",
        "name": "Sở Tài nguyên và Môi trường tỉnh Bà Rịa - Vũng Tàu",
        "level": "TINH",
        "parentCode": None,
        "adminUnitCode": "77",
        "validFrom": "2015-01-01",
        "validTo": None,
    },
    {
        "code": "000.00.31.H03",
        "name": "UBND thành phố Vũng Tàu",
        "level": "HUYEN",
        "parentCode": None,
        "adminUnitCode": "747",
        "validFrom": "2015-01-01",
        "validTo": None,
    },
    {
        "code": "000.00.38.H03",
        "name": "UBND huyện Côn Đảo",
        "level": "HUYEN",
        "parentCode": None,
        "adminUnitCode": "755",
        "validFrom": "2015-01-01",
        "validTo": None,
    },
    {
        "code": "000.01.31.H03",
        "name": "UBND Phường 1, thành phố Vũng Tàu",
        "level": "XA",
        "parentCode": "000.00.31.H03",
        "adminUnitCode": "26506",
        "validFrom": "2015-01-01",
        "validTo": None,
    },
    {
        "code": "000.02.31.H03",
        "name": "UBND phường Thắng Tam, thành phố Vũng Tàu",
        "level": "XA",
        "parentCode": "000.00.31.H03",
        "adminUnitCode": "26508",
        "validFrom": "2015-01-01",
        "validTo": None,
    },
    # The same agency in two versions: the commune became a ward on RENAME_DATE (same code).
    {
        "code": "000.03.31.H03",
        "name": "UBND xã Long Sơn, thành phố Vũng Tàu",
        "level": "XA",
        "parentCode": "000.00.31.H03",
        "adminUnitCode": "26545",
        "validFrom": "2015-01-01",
        "validTo": "2024-09-30",
    },
    {
        "code": "000.03.31.H03",
        "name": "UBND phường Long Sơn, thành phố Vũng Tàu",
        "level": "XA",
        "parentCode": "000.00.31.H03",
        "adminUnitCode": "26545",
        "validFrom": RENAME_DATE,
        "validTo": None,
    },
]

# One dict per procedure, exactly the portal `formalities` item. The last one is abolished and
# receives no dossier (it is there so the procedure dimension sees a `BAI_BO` state).
PROCEDURES: list[dict] = [
    {
        "code": "1.001193",
        "name": "Thủ tục đăng ký khai sinh",
        "sectorCode": "HO_TICH",
        "sectorName": "Hộ tịch",
        "levels": ["XA"],
        "onlineLevel": "TOAN_TRINH",
        "hasFee": False,
        "feeReducedOnline": False,
        "processingTime": 1,
        "processingTimeUnit": "NGAY_LAM_VIEC",
        "paperResult": True,
        "state": "CONG_KHAI",
    },
    {
        "code": "2.000815",
        "name": "Chứng thực bản sao từ bản chính giấy tờ, văn bản",
        "sectorCode": "CHUNG_THUC",
        "sectorName": "Chứng thực",
        "levels": ["HUYEN", "XA"],
        "onlineLevel": "MOT_PHAN",
        "hasFee": True,
        "feeReducedOnline": False,
        "processingTime": 1,
        "processingTimeUnit": "NGAY_LAM_VIEC",
        "paperResult": True,
        "state": "CONG_KHAI",
    },
    {
        "code": "2.000488",
        "name": "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam, người nước ngoài đang cư trú tại Việt Nam",
        "sectorCode": "LY_LICH_TU_PHAP",
        "sectorName": "Lý lịch tư pháp",
        "levels": ["TINH"],
        "onlineLevel": "TOAN_TRINH",
        "hasFee": True,
        "feeReducedOnline": True,
        "processingTime": 10,
        "processingTimeUnit": "NGAY_LAM_VIEC",
        "paperResult": True,
        "state": "CONG_KHAI",
    },
    {
        "code": "2.001610",
        "name": "Đăng ký thành lập công ty trách nhiệm hữu hạn hai thành viên trở lên",
        "sectorCode": "THANH_LAP_DOANH_NGHIEP",
        "sectorName": "Thành lập và hoạt động của doanh nghiệp",
        "levels": ["TINH"],
        "onlineLevel": "TOAN_TRINH",
        "hasFee": True,
        "feeReducedOnline": True,
        "processingTime": 3,
        "processingTimeUnit": "NGAY_LAM_VIEC",
        "paperResult": False,
        "state": "CONG_KHAI",
    },
    {
        "code": "1.001612",
        "name": "Đăng ký thành lập hộ kinh doanh",
        "sectorCode": "HO_KINH_DOANH",
        "sectorName": "Thành lập và hoạt động của hộ kinh doanh",
        "levels": ["HUYEN"],
        "onlineLevel": "TOAN_TRINH",
        "hasFee": True,
        "feeReducedOnline": True,
        "processingTime": 3,
        "processingTimeUnit": "NGAY_LAM_VIEC",
        "paperResult": True,
        "state": "CONG_KHAI",
    },
    {
        "code": "1.004227",
        "name": "Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất",
        "sectorCode": "DAT_DAI",
        "sectorName": "Đất đai",
        "levels": ["TINH", "HUYEN"],
        "onlineLevel": "MOT_PHAN",
        "hasFee": True,
        "feeReducedOnline": False,
        "processingTime": 10,
        "processingTimeUnit": "NGAY_LAM_VIEC",
        "paperResult": True,
        "state": "CONG_KHAI",
    },
    {
        "code": "1.009994",
        "name": "Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ",
        "sectorCode": "XAY_DUNG",
        "sectorName": "Hoạt động xây dựng",
        "levels": ["HUYEN"],
        "onlineLevel": "MOT_PHAN",
        "hasFee": True,
        "feeReducedOnline": False,
        "processingTime": 15,
        "processingTimeUnit": "NGAY_LAM_VIEC",
        "paperResult": True,
        "state": "CONG_KHAI",
    },
    {
        "code": "1.001266",
        "name": "Cấp lại Giấy chứng nhận đăng ký hộ kinh doanh (thủ tục cũ)",
        "sectorCode": "HO_KINH_DOANH",
        "sectorName": "Thành lập và hoạt động của hộ kinh doanh",
        "levels": ["HUYEN"],
        "onlineLevel": None,
        "hasFee": True,
        "feeReducedOnline": False,
        "processingTime": 3,
        "processingTimeUnit": "NGAY_LAM_VIEC",
        "paperResult": True,
        "state": "BAI_BO",
    },
]

# A provincial department only handles its own sectors; district and commune People's Committees
# handle every procedure of their level.
DEPARTMENT_SECTORS: dict[str, set[str]] = {
    "000.00.11.H03": {"LY_LICH_TU_PHAP"},
    "000.00.13.H03": {"THANH_LAP_DOANH_NGHIEP"},
    "000.00.17.H03": {"DAT_DAI"},
}


def agency_codes() -> list[str]:
    """Every distinct agency code, sorted (versions collapsed)."""
    return sorted({a["code"] for a in AGENCIES})


def agency_version(code: str, day: date) -> dict | None:
    """The version of agency `code` in force on `day`, or None."""
    iso = day.isoformat()
    for a in AGENCIES:
        if a["code"] == code and a["validFrom"] <= iso and (a["validTo"] is None or iso <= a["validTo"]):
            return a
    return None


def procedure(code: str) -> dict:
    """The procedure with this national code (KeyError if unknown)."""
    for p in PROCEDURES:
        if p["code"] == code:
            return p
    raise KeyError(code)


def procedures_for(agency_code: str) -> list[dict]:
    """Procedures in force that agency `agency_code` handles: its level matches, and for a
    provincial department its sector too. Level is taken from the agency's current version."""
    level = next(a["level"] for a in AGENCIES if a["code"] == agency_code)
    sectors = DEPARTMENT_SECTORS.get(agency_code)
    return [
        p
        for p in PROCEDURES
        if p["state"] == "CONG_KHAI"
        and level in p["levels"]
        and (sectors is None or p["sectorCode"] in sectors)
    ]


# --- How much each agency works, and what a dossier of each procedure contains. -----------------
# Kept beside the catalog (not in the generator) because they describe the world, not the method.

# agency code -> (expected dossiers per working day, offset of its online-remote share from the
# province-wide trend). Offsets make agencies differ; they average roughly to zero.
AGENCY_ACTIVITY: dict[str, tuple[float, float]] = {
    "000.00.11.H03": (0.50, +0.08),
    "000.00.13.H03": (0.45, +0.10),
    "000.00.17.H03": (0.35, -0.05),
    "000.00.31.H03": (0.60, 0.00),
    "000.00.38.H03": (0.20, -0.12),
    "000.01.31.H03": (0.35, +0.03),
    "000.02.31.H03": (0.30, -0.02),
    "000.03.31.H03": (0.25, -0.08),
}

# procedure code -> what its dossiers look like:
#   weight: relative popularity at an agency that handles it;
#   org_share: probability that the applicant is an organisation (LoaiDoiTuong 2);
#   documents: submitted documents, the first one always present;
#   result: name of the result document;
#   fees: (TenPhiLePhi, price at the counter, price online) in VND; a price of None online means
#         the same as at the counter. `per_copy` fees are multiplied by the number of copies.
PROCEDURE_DETAILS: dict[str, dict] = {
    "1.001193": {
        "weight": 3.0,
        "org_share": 0.0,
        "documents": ["Tờ khai đăng ký khai sinh", "Giấy chứng sinh", "Giấy chứng nhận kết hôn của cha mẹ"],
        "result": "Giấy khai sinh (bản chính)",
        "fees": [],
    },
    "2.000815": {
        "weight": 3.0,
        "org_share": 0.05,
        "documents": ["Bản chính giấy tờ, văn bản cần chứng thực", "Bản sao cần chứng thực"],
        "result": "Bản sao được chứng thực từ bản chính",
        "fees": [("Lệ phí chứng thực bản sao từ bản chính", 2000, None)],
        "per_copy": True,
    },
    "2.000488": {
        "weight": 1.0,
        "org_share": 0.0,
        "documents": [
            "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp",
            "Bản chụp Căn cước công dân",
            "Văn bản ủy quyền",
        ],
        "result": "Phiếu lý lịch tư pháp số 1",
        "fees": [("Phí cung cấp thông tin lý lịch tư pháp", 200000, 100000)],
    },
    "2.001610": {
        "weight": 1.0,
        "org_share": 0.6,
        "documents": [
            "Giấy đề nghị đăng ký doanh nghiệp",
            "Điều lệ công ty",
            "Danh sách thành viên",
            "Bản sao giấy tờ pháp lý của các thành viên",
        ],
        "result": "Giấy chứng nhận đăng ký doanh nghiệp",
        "fees": [("Lệ phí đăng ký doanh nghiệp", 50000, 0)],
    },
    "1.001612": {
        "weight": 1.5,
        "org_share": 0.0,
        "documents": [
            "Giấy đề nghị đăng ký hộ kinh doanh",
            "Bản sao giấy tờ pháp lý của chủ hộ kinh doanh",
            "Biên bản họp thành viên hộ gia đình",
        ],
        "result": "Giấy chứng nhận đăng ký hộ kinh doanh",
        "fees": [("Lệ phí đăng ký hộ kinh doanh", 100000, 50000)],
    },
    "1.004227": {
        "weight": 1.5,
        "org_share": 0.15,
        "documents": [
            "Đơn đăng ký biến động đất đai, tài sản gắn liền với đất",
            "Bản gốc Giấy chứng nhận đã cấp",
            "Hợp đồng chuyển nhượng quyền sử dụng đất",
            "Tờ khai lệ phí trước bạ",
        ],
        "result": "Giấy chứng nhận quyền sử dụng đất đã xác nhận nội dung biến động",
        "fees": [
            ("Lệ phí cấp Giấy chứng nhận quyền sử dụng đất", 100000, None),
            ("Phí thẩm định hồ sơ cấp Giấy chứng nhận", 500000, None),
        ],
    },
    "1.009994": {
        "weight": 1.0,
        "org_share": 0.1,
        "documents": [
            "Đơn đề nghị cấp giấy phép xây dựng",
            "Bản sao giấy tờ chứng minh quyền sử dụng đất",
            "Bản vẽ thiết kế xây dựng",
        ],
        "result": "Giấy phép xây dựng",
        "fees": [("Lệ phí cấp giấy phép xây dựng", 75000, None)],
    },
}
