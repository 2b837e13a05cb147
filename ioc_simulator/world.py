"""The simulated world: which agencies exist (in every version) and which procedures they handle.

This is the one place that says *who* the province's one-stop desks are and *what* they handle, in
the exact item formats of the portal API (`docs/contracts/sources.md` §2), so the portal simulator
serves these lists as they are and the dossier generator draws from them. The world is plain data
built once at import; generation and serving never hard-code an agency.

The province (Bà Rịa – Vũng Tàu, portal code H03, administrative unit 77):

- provincial departments (sở, ban, ngành) `000.00.NN.H03`, NN 10–28;
- the 8 district-level units `000.00.DD.H03` (31 Vũng Tàu, 32 Bà Rịa, 33 Phú Mỹ, 34 Châu Đức,
  35 Xuyên Mộc, 36 Long Điền, 37 Đất Đỏ, 38 Côn Đảo; Côn Đảo has no commune-level unit) and their
  82 communes, wards and townships `000.MM.DD.H03`;
- the 1 March 2025 restructuring of departments (docs/domain.md §6.3): KH&ĐT → Tài chính, GTVT → Xây
  dựng, TN&MT + NN&PTNT → Nông nghiệp và Môi trường, TT&TT → KH&CN, LĐ-TB&XH → Nội vụ, Du lịch →
  VH-TT-DL: the absorbed departments end on 2025-02-28, the absorbing ones get a new version;
- the reform of 1 July 2025 (docs/domain.md §6.1–6.2): the district level ends (validTo 2025-06-30), the
  82 communes merge into 30 new commune-level units (29 communes/wards + the special zone Côn Đảo),
  and the province joins Ho Chi Minh City (H29, unit 79): every H03 agency ends on 2025-06-30 and
  the HCMC departments `000.00.NN.H29` and the new communes `000.MM.70.H29` start on 2025-07-01.
  After the reform, former district procedures are handled by the communes.

One commune is renamed in place before the reform (Long Sơn, commune → ward on RENAME_DATE) and one
ward ends in the middle of a month (Phường 1 of Vũng Tàu merges into Phường 2 after MERGER_LAST_DAY,
illustrative, in the manner of the 2023-2025 commune-level arrangement under NQ 35/2023/UBTVQH15), so
that agency history is exercised inside the default period too: dossiers accepted by Phường 1 before
its end and finished after it count by the version in force on their acceptance day.

Codes are illustrative but shaped like the real ones; procedure codes are national-style codes
(`1.001193`), many of them real, the rest plausible. Names are real places and real procedures.
"""

from __future__ import annotations

import hashlib
from datetime import date

RENAME_DATE = "2024-10-01"
MERGER_LAST_DAY = "2024-10-25"   # Phường 1 (000.01.31.H03) merges into Phường 2 (000.04.31.H03) after it
DEPARTMENT_REFORM_DATE = "2025-03-01"
REFORM_DATE = "2025-07-01"
BEFORE_DEPARTMENT_REFORM = "2025-02-28"
BEFORE_REFORM = "2025-06-30"
ORIGIN = "2015-01-01"

PROVINCE = "tỉnh Bà Rịa - Vũng Tàu"
HCMC = "Thành phố Hồ Chí Minh"

SECTOR_NAMES: dict[str, str] = {
    "HO_TICH": "Hộ tịch", "CHUNG_THUC": "Chứng thực", "LY_LICH_TU_PHAP": "Lý lịch tư pháp",
    "CONG_CHUNG": "Công chứng", "LUAT_SU": "Luật sư",
    "THANH_LAP_DOANH_NGHIEP": "Thành lập và hoạt động của doanh nghiệp", "DAU_TU": "Đầu tư tại Việt Nam",
    "HO_KINH_DOANH": "Thành lập và hoạt động của hộ kinh doanh", "DAT_DAI": "Đất đai",
    "BAO_DAM": "Đăng ký biện pháp bảo đảm", "MOI_TRUONG": "Môi trường", "XAY_DUNG": "Hoạt động xây dựng",
    "GIAO_THONG": "Đường bộ", "LAO_DONG": "Lao động", "VIEC_LAM": "Việc làm",
    "BAO_TRO_XA_HOI": "Bảo trợ xã hội", "NGUOI_CO_CONG": "Người có công", "GIAO_DUC": "Giáo dục và Đào tạo",
    "Y_TE": "Khám bệnh, chữa bệnh", "DUOC": "Dược phẩm", "AN_TOAN_THUC_PHAM": "An toàn thực phẩm",
    "CONG_THUONG": "Lưu thông hàng hóa trong nước", "XANG_DAU": "Kinh doanh khí và xăng dầu",
    "NONG_NGHIEP": "Thú y", "THUY_SAN": "Thủy sản", "VAN_HOA": "Văn hóa", "DU_LICH": "Du lịch",
    "THONG_TIN": "Báo chí, xuất bản", "KHOA_HOC": "Hoạt động khoa học và công nghệ", "NOI_VU": "Tổ chức hội",
    "THI_DUA": "Thi đua, khen thưởng", "TON_GIAO": "Tín ngưỡng, tôn giáo", "TAI_CHINH": "Tài chính",
    "KHU_CONG_NGHIEP": "Quản lý khu công nghiệp", "NGOAI_VU": "Ngoại vụ", "KHIEU_NAI": "Giải quyết khiếu nại",
}

# --- procedures -------------------------------------------------------------------------------------
# code, name, sector, levels (T tỉnh, H huyện, X xã), online level (T toàn trình, M một phần, None),
# fee at the counter (VND, 0 = none), fee online (None = same), processing time (working days),
# paper result, popularity weight, share of organisations among applicants.
_P = [
    ("1.001193", "Thủ tục đăng ký khai sinh", "HO_TICH", "X", "T", 0, None, 1, True, 6.0, 0.0),
    ("1.000656", "Thủ tục đăng ký khai tử", "HO_TICH", "X", "T", 0, None, 1, True, 2.0, 0.0),
    ("1.000894", "Thủ tục đăng ký kết hôn", "HO_TICH", "X", "T", 0, None, 1, True, 2.0, 0.0),
    ("1.004873", "Thủ tục cấp Giấy xác nhận tình trạng hôn nhân", "HO_TICH", "X", "T", 0, None, 3, True, 4.0, 0.0),
    ("2.000635", "Thủ tục cấp bản sao Trích lục hộ tịch", "HO_TICH", "HX", "T", 8000, None, 1, True, 3.0, 0.0),
    ("1.004859", "Thủ tục đăng ký thay đổi, cải chính, bổ sung thông tin hộ tịch", "HO_TICH", "X", "T", 15000, None, 3, True, 1.0, 0.0),
    ("1.001022", "Thủ tục đăng ký nhận cha, mẹ, con", "HO_TICH", "X", "T", 0, None, 3, True, 0.4, 0.0),
    ("1.004837", "Thủ tục đăng ký giám hộ", "HO_TICH", "X", "M", 0, None, 3, True, 0.2, 0.0),
    ("1.001695", "Thủ tục đăng ký khai sinh có yếu tố nước ngoài", "HO_TICH", "H", "M", 75000, None, 3, True, 0.3, 0.0),
    ("1.000893", "Thủ tục đăng ký kết hôn có yếu tố nước ngoài", "HO_TICH", "H", "M", 1500000, None, 15, True, 0.3, 0.0),
    ("2.000815", "Chứng thực bản sao từ bản chính giấy tờ, văn bản", "CHUNG_THUC", "HX", "M", 2000, None, 1, True, 7.0, 0.05),
    ("2.000884", "Chứng thực chữ ký trong các giấy tờ, văn bản", "CHUNG_THUC", "HX", "M", 10000, None, 1, True, 2.5, 0.05),
    ("2.000913", "Chứng thực hợp đồng, giao dịch liên quan đến tài sản là động sản", "CHUNG_THUC", "HX", "M", 50000, None, 2, True, 1.0, 0.1),
    ("2.001008", "Chứng thực chữ ký người dịch", "CHUNG_THUC", "H", "M", 10000, None, 1, True, 0.4, 0.1),
    ("2.000488", "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam, người nước ngoài đang cư trú tại Việt Nam", "LY_LICH_TU_PHAP", "T", "T", 200000, 100000, 10, True, 3.0, 0.0),
    ("2.000505", "Cấp Phiếu lý lịch tư pháp cho cơ quan tiến hành tố tụng", "LY_LICH_TU_PHAP", "T", "T", 0, None, 10, True, 0.3, 1.0),
    ("1.001071", "Đăng ký hoạt động Văn phòng công chứng", "CONG_CHUNG", "T", "M", 1000000, None, 10, True, 0.1, 1.0),
    ("1.002032", "Đăng ký hoạt động của tổ chức hành nghề luật sư", "LUAT_SU", "T", "M", 100000, None, 10, True, 0.1, 1.0),
    ("2.001610", "Đăng ký thành lập công ty trách nhiệm hữu hạn hai thành viên trở lên", "THANH_LAP_DOANH_NGHIEP", "T", "T", 50000, 0, 3, False, 1.0, 0.6),
    ("1.005261", "Đăng ký thành lập doanh nghiệp tư nhân", "THANH_LAP_DOANH_NGHIEP", "T", "T", 50000, 0, 3, False, 0.6, 0.3),
    ("2.002037", "Đăng ký thành lập công ty trách nhiệm hữu hạn một thành viên", "THANH_LAP_DOANH_NGHIEP", "T", "T", 50000, 0, 3, False, 1.5, 0.6),
    ("1.010010", "Đăng ký thành lập công ty cổ phần", "THANH_LAP_DOANH_NGHIEP", "T", "T", 50000, 0, 3, False, 0.6, 0.8),
    ("2.001199", "Đăng ký thay đổi nội dung đăng ký doanh nghiệp", "THANH_LAP_DOANH_NGHIEP", "T", "T", 50000, 0, 3, False, 2.0, 1.0),
    ("1.004966", "Thông báo tạm ngừng kinh doanh", "THANH_LAP_DOANH_NGHIEP", "T", "T", 0, None, 3, False, 0.8, 1.0),
    ("2.002041", "Giải thể doanh nghiệp", "THANH_LAP_DOANH_NGHIEP", "T", "T", 0, None, 5, False, 0.4, 1.0),
    ("1.009645", "Cấp Giấy chứng nhận đăng ký đầu tư đối với dự án không thuộc diện chấp thuận chủ trương đầu tư", "DAU_TU", "T", "M", 0, None, 15, True, 0.3, 1.0),
    ("1.009648", "Điều chỉnh Giấy chứng nhận đăng ký đầu tư", "DAU_TU", "T", "M", 0, None, 10, True, 0.3, 1.0),
    ("1.001612", "Đăng ký thành lập hộ kinh doanh", "HO_KINH_DOANH", "H", "T", 100000, 50000, 3, True, 2.5, 0.0),
    ("1.001570", "Đăng ký thay đổi nội dung đăng ký hộ kinh doanh", "HO_KINH_DOANH", "H", "T", 30000, 15000, 3, True, 1.0, 0.0),
    ("2.000720", "Tạm ngừng hoạt động hộ kinh doanh", "HO_KINH_DOANH", "H", "T", 0, None, 3, True, 0.5, 0.0),
    ("2.000575", "Chấm dứt hoạt động hộ kinh doanh", "HO_KINH_DOANH", "H", "T", 0, None, 3, True, 0.4, 0.0),
    ("1.004227", "Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất", "DAT_DAI", "TH", "M", 100000, None, 10, True, 4.0, 0.15),
    ("1.003003", "Đăng ký, cấp Giấy chứng nhận quyền sử dụng đất lần đầu", "DAT_DAI", "H", "M", 100000, None, 30, True, 1.5, 0.05),
    ("1.002273", "Cấp đổi Giấy chứng nhận quyền sử dụng đất", "DAT_DAI", "TH", "M", 50000, None, 7, True, 1.5, 0.05),
    ("1.001990", "Cung cấp dữ liệu đất đai", "DAT_DAI", "TH", "T", 0, None, 2, False, 1.0, 0.2),
    ("1.005399", "Chuyển mục đích sử dụng đất phải được phép của cơ quan nhà nước có thẩm quyền", "DAT_DAI", "H", "M", 0, None, 15, True, 0.8, 0.05),
    ("1.004203", "Tách thửa hoặc hợp thửa đất", "DAT_DAI", "TH", "M", 50000, None, 15, True, 1.2, 0.05),
    ("1.000756", "Đăng ký thế chấp quyền sử dụng đất, tài sản gắn liền với đất", "BAO_DAM", "TH", "T", 80000, None, 1, False, 2.0, 0.1),
    ("1.000772", "Xóa đăng ký biện pháp bảo đảm bằng quyền sử dụng đất", "BAO_DAM", "TH", "T", 20000, None, 1, False, 1.0, 0.1),
    ("1.004249", "Cấp giấy phép môi trường", "MOI_TRUONG", "TH", "M", 0, None, 30, True, 0.2, 1.0),
    ("1.010727", "Đăng ký môi trường", "MOI_TRUONG", "X", "T", 0, None, 5, False, 0.2, 0.9),
    ("1.004240", "Thẩm định báo cáo đánh giá tác động môi trường", "MOI_TRUONG", "T", "M", 0, None, 30, True, 0.1, 1.0),
    ("1.001823", "Cấp giấy phép khai thác, sử dụng nước dưới đất", "MOI_TRUONG", "T", "M", 0, None, 30, True, 0.1, 0.8),
    ("1.009994", "Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ", "XAY_DUNG", "H", "M", 75000, None, 15, True, 2.0, 0.1),
    ("1.009972", "Cấp giấy phép xây dựng mới đối với công trình", "XAY_DUNG", "T", "M", 150000, None, 20, True, 0.3, 1.0),
    ("1.009986", "Điều chỉnh giấy phép xây dựng", "XAY_DUNG", "TH", "M", 0, None, 15, True, 0.3, 0.3),
    ("1.009982", "Gia hạn giấy phép xây dựng", "XAY_DUNG", "TH", "M", 0, None, 5, True, 0.2, 0.3),
    ("1.011645", "Thẩm định báo cáo nghiên cứu khả thi đầu tư xây dựng", "XAY_DUNG", "T", "M", 0, None, 30, True, 0.1, 1.0),
    ("1.009757", "Cấp chứng chỉ hành nghề hoạt động xây dựng", "XAY_DUNG", "T", "T", 300000, 150000, 20, False, 0.3, 0.0),
    ("1.002804", "Đổi giấy phép lái xe do ngành Giao thông vận tải cấp", "GIAO_THONG", "T", "T", 135000, 115000, 5, True, 6.0, 0.0),
    ("1.002809", "Cấp lại giấy phép lái xe", "GIAO_THONG", "T", "T", 135000, 115000, 5, True, 1.5, 0.0),
    ("1.001001", "Cấp phù hiệu xe ô tô kinh doanh vận tải", "GIAO_THONG", "T", "T", 0, None, 2, False, 1.5, 0.9),
    ("1.002861", "Cấp Giấy phép kinh doanh vận tải bằng xe ô tô", "GIAO_THONG", "T", "T", 200000, None, 5, False, 0.4, 1.0),
    ("1.000568", "Đăng ký lần đầu xe máy chuyên dùng", "GIAO_THONG", "T", "M", 200000, None, 3, True, 0.3, 0.7),
    ("1.000459", "Cấp giấy phép lao động cho người lao động nước ngoài làm việc tại Việt Nam", "LAO_DONG", "T", "T", 600000, None, 5, True, 0.8, 1.0),
    ("1.001776", "Đăng ký nội quy lao động của doanh nghiệp", "LAO_DONG", "T", "T", 0, None, 7, False, 0.3, 1.0),
    ("2.000134", "Giải quyết hưởng trợ cấp thất nghiệp", "VIEC_LAM", "T", "M", 0, None, 20, True, 2.0, 0.0),
    ("2.000286", "Trợ cấp xã hội hàng tháng đối với đối tượng bảo trợ xã hội", "BAO_TRO_XA_HOI", "X", "M", 0, None, 15, True, 1.0, 0.0),
    ("1.001699", "Xác định, xác định lại mức độ khuyết tật và cấp Giấy xác nhận khuyết tật", "BAO_TRO_XA_HOI", "X", "M", 0, None, 25, True, 0.4, 0.0),
    ("1.001653", "Hỗ trợ chi phí mai táng cho đối tượng bảo trợ xã hội", "BAO_TRO_XA_HOI", "X", "M", 0, None, 3, True, 0.3, 0.0),
    ("1.002410", "Giải quyết chế độ trợ cấp thờ cúng liệt sĩ", "NGUOI_CO_CONG", "X", "M", 0, None, 12, True, 0.2, 0.0),
    ("1.005092", "Chuyển trường đối với học sinh trung học cơ sở", "GIAO_DUC", "H", "T", 0, None, 3, True, 0.5, 0.0),
    ("1.005095", "Chuyển trường đối với học sinh trung học phổ thông", "GIAO_DUC", "T", "T", 0, None, 3, True, 0.3, 0.0),
    ("1.005082", "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc", "GIAO_DUC", "TH", "T", 0, None, 1, True, 0.6, 0.0),
    ("1.001639", "Cho phép trường mầm non tư thục hoạt động giáo dục", "GIAO_DUC", "H", "M", 0, None, 20, True, 0.05, 1.0),
    ("1.002593", "Cấp Chứng chỉ hành nghề dược", "DUOC", "T", "T", 500000, None, 20, True, 0.4, 0.0),
    ("1.004616", "Cấp giấy phép hành nghề khám bệnh, chữa bệnh", "Y_TE", "T", "M", 360000, None, 20, True, 0.4, 0.0),
    ("1.003001", "Cấp giấy phép hoạt động đối với phòng khám chuyên khoa", "Y_TE", "T", "M", 4300000, None, 30, True, 0.1, 1.0),
    ("1.001907", "Cấp Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm", "AN_TOAN_THUC_PHAM", "TH", "T", 500000, None, 15, True, 0.6, 0.7),
    ("2.000633", "Cấp Giấy phép bán lẻ rượu", "CONG_THUONG", "H", "T", 1200000, 1000000, 10, True, 0.3, 0.4),
    ("2.000181", "Cấp Giấy phép bán lẻ sản phẩm thuốc lá", "CONG_THUONG", "H", "T", 1200000, 1000000, 10, True, 0.3, 0.4),
    ("2.000637", "Đăng ký thực hiện khuyến mại", "CONG_THUONG", "T", "T", 0, None, 5, False, 0.8, 1.0),
    ("2.000620", "Cấp Giấy chứng nhận cửa hàng đủ điều kiện bán lẻ xăng dầu", "XANG_DAU", "T", "M", 1200000, None, 15, True, 0.1, 1.0),
    ("1.003612", "Cấp Giấy chứng nhận kiểm dịch động vật, sản phẩm động vật vận chuyển ra khỏi địa bàn tỉnh", "NONG_NGHIEP", "T", "T", 70000, None, 1, False, 1.0, 0.5),
    ("1.004363", "Cấp giấy phép khai thác thủy sản", "THUY_SAN", "T", "M", 40000, None, 3, True, 0.8, 0.1),
    ("1.004359", "Cấp văn bản chấp thuận đóng mới, cải hoán tàu cá", "THUY_SAN", "T", "M", 0, None, 5, True, 0.3, 0.1),
    ("1.004921", "Cấp Giấy chứng nhận đăng ký tàu cá", "THUY_SAN", "T", "M", 40000, None, 3, True, 0.5, 0.1),
    ("1.001029", "Cấp giấy phép kinh doanh dịch vụ karaoke", "VAN_HOA", "H", "T", 4000000, 2000000, 5, True, 0.1, 0.5),
    ("1.009397", "Cấp giấy phép tổ chức triển lãm do tổ chức ở địa phương đưa ra nước ngoài", "VAN_HOA", "T", "T", 0, None, 7, True, 0.1, 1.0),
    ("1.003635", "Xét tặng danh hiệu Gia đình văn hóa", "VAN_HOA", "X", None, 0, None, 5, True, 0.2, 0.0),
    ("1.004628", "Cấp thẻ hướng dẫn viên du lịch quốc tế", "DU_LICH", "T", "T", 650000, None, 15, True, 0.2, 0.0),
    ("1.001432", "Công nhận hạng cơ sở lưu trú du lịch", "DU_LICH", "T", "M", 1500000, None, 30, True, 0.2, 1.0),
    ("1.003853", "Cấp giấy phép xuất bản bản tin", "THONG_TIN", "T", "T", 0, None, 10, True, 0.05, 1.0),
    ("1.004487", "Cấp giấy phép thiết lập trang thông tin điện tử tổng hợp", "THONG_TIN", "T", "T", 0, None, 10, True, 0.05, 1.0),
    ("1.004501", "Đăng ký kết quả thực hiện nhiệm vụ khoa học và công nghệ", "KHOA_HOC", "T", "T", 0, None, 10, False, 0.1, 1.0),
    ("1.003581", "Cấp giấy phép tiến hành công việc bức xạ", "KHOA_HOC", "T", "M", 0, None, 20, True, 0.1, 1.0),
    ("1.003923", "Công nhận điều lệ hội", "NOI_VU", "T", "M", 0, None, 30, True, 0.05, 1.0),
    ("1.005384", "Tặng Bằng khen của Chủ tịch Ủy ban nhân dân cấp tỉnh", "THI_DUA", "T", None, 0, None, 20, True, 0.2, 0.6),
    ("1.001078", "Đăng ký sinh hoạt tôn giáo tập trung", "TON_GIAO", "X", "M", 0, None, 20, True, 0.05, 0.0),
    ("1.005435", "Đăng ký mã số đơn vị có quan hệ với ngân sách", "TAI_CHINH", "T", "T", 0, None, 2, False, 0.4, 1.0),
    ("1.009681", "Cấp giấy phép lao động trong khu công nghiệp", "KHU_CONG_NGHIEP", "T", "T", 600000, None, 5, True, 0.6, 1.0),
    ("1.009684", "Xác nhận hợp đồng thuê đất trong khu công nghiệp", "KHU_CONG_NGHIEP", "T", "M", 0, None, 10, True, 0.2, 1.0),
    ("1.003487", "Cho phép tổ chức hội nghị, hội thảo quốc tế", "NGOAI_VU", "T", "M", 0, None, 10, False, 0.1, 1.0),
    ("2.002252", "Giải quyết khiếu nại lần đầu", "KHIEU_NAI", "TX", None, 0, None, 30, True, 0.1, 0.1),
    ("2.002253", "Giải quyết khiếu nại lần hai", "KHIEU_NAI", "T", None, 0, None, 45, True, 0.05, 0.1),
    ("1.001266", "Cấp lại Giấy chứng nhận đăng ký hộ kinh doanh (thủ tục cũ)", "HO_KINH_DOANH", "H", None, 100000, None, 3, True, 0.0, 0.0),
]
ABOLISHED = {"1.001266"}  # in the catalog as BAI_BO, receives no dossier
_LEVELS = {"T": "TINH", "H": "HUYEN", "X": "XA"}
_ONLINE = {"T": "TOAN_TRINH", "M": "MOT_PHAN", None: None}

PROCEDURES: list[dict] = [
    {
        "code": code, "name": name, "sectorCode": sector, "sectorName": SECTOR_NAMES[sector],
        "levels": [_LEVELS[c] for c in "THX" if c in levels], "onlineLevel": _ONLINE[online],
        "hasFee": fee > 0, "feeReducedOnline": fee_online is not None and fee_online < fee,
        "processingTime": days, "processingTimeUnit": "NGAY_LAM_VIEC", "paperResult": paper,
        "state": "BAI_BO" if code in ABOLISHED else "CONG_KHAI",
    }
    for code, name, sector, levels, online, fee, fee_online, days, paper, _w, _o in _P
]

# What a dossier of each procedure looks like. The historical eight keep their hand-written details.
_DOCS_BY_SECTOR = {
    "HO_TICH": ["Tờ khai đăng ký hộ tịch", "Giấy tờ tùy thân của người yêu cầu", "Giấy tờ chứng minh nơi cư trú"],
    "CHUNG_THUC": ["Bản chính giấy tờ, văn bản", "Giấy tờ tùy thân của người yêu cầu chứng thực"],
    "THANH_LAP_DOANH_NGHIEP": ["Giấy đề nghị đăng ký doanh nghiệp", "Điều lệ công ty", "Danh sách thành viên",
                               "Bản sao giấy tờ pháp lý của cá nhân"],
    "DAT_DAI": ["Đơn đăng ký đất đai, tài sản gắn liền với đất", "Bản gốc Giấy chứng nhận đã cấp",
                "Hợp đồng, văn bản về quyền sử dụng đất", "Tờ khai lệ phí trước bạ"],
    "XAY_DUNG": ["Đơn đề nghị cấp giấy phép xây dựng", "Bản sao giấy tờ chứng minh quyền sử dụng đất",
                 "Bản vẽ thiết kế xây dựng"],
    "GIAO_THONG": ["Đơn đề nghị", "Giấy chứng nhận sức khỏe", "Bản sao giấy phép lái xe"],
}
_DEFAULT_DOCS = ["Đơn (tờ khai) đề nghị", "Bản sao giấy tờ tùy thân hoặc giấy tờ pháp lý",
                 "Giấy tờ chứng minh điều kiện theo quy định"]

PROCEDURE_DETAILS: dict[str, dict] = {}
for _code, _name, _sector, _lv, _on, _fee, _fee_online, _days, _paper, _weight, _org in _P:
    PROCEDURE_DETAILS[_code] = {
        "weight": _weight,
        "org_share": _org,
        "documents": _DOCS_BY_SECTOR.get(_sector, _DEFAULT_DOCS),
        "result": "Kết quả: " + _name[0].lower() + _name[1:],
        "fees": [("Lệ phí " + _name[0].lower() + _name[1:], _fee, _fee_online)] if _fee else [],
    }
PROCEDURE_DETAILS.update({
    "1.001193": {"weight": 6.0, "org_share": 0.0,
                 "documents": ["Tờ khai đăng ký khai sinh", "Giấy chứng sinh", "Giấy chứng nhận kết hôn của cha mẹ"],
                 "result": "Giấy khai sinh (bản chính)", "fees": []},
    "2.000815": {"weight": 7.0, "org_share": 0.05,
                 "documents": ["Bản chính giấy tờ, văn bản cần chứng thực", "Bản sao cần chứng thực"],
                 "result": "Bản sao được chứng thực từ bản chính",
                 "fees": [("Lệ phí chứng thực bản sao từ bản chính", 2000, None)], "per_copy": True},
    "2.000488": {"weight": 3.0, "org_share": 0.0,
                 "documents": ["Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp", "Bản chụp Căn cước công dân",
                               "Văn bản ủy quyền"],
                 "result": "Phiếu lý lịch tư pháp số 1",
                 "fees": [("Phí cung cấp thông tin lý lịch tư pháp", 200000, 100000)]},
    "2.001610": {"weight": 1.0, "org_share": 0.6,
                 "documents": ["Giấy đề nghị đăng ký doanh nghiệp", "Điều lệ công ty", "Danh sách thành viên",
                               "Bản sao giấy tờ pháp lý của các thành viên"],
                 "result": "Giấy chứng nhận đăng ký doanh nghiệp", "fees": [("Lệ phí đăng ký doanh nghiệp", 50000, 0)]},
    "1.001612": {"weight": 2.5, "org_share": 0.0,
                 "documents": ["Giấy đề nghị đăng ký hộ kinh doanh", "Bản sao giấy tờ pháp lý của chủ hộ kinh doanh",
                               "Biên bản họp thành viên hộ gia đình"],
                 "result": "Giấy chứng nhận đăng ký hộ kinh doanh",
                 "fees": [("Lệ phí đăng ký hộ kinh doanh", 100000, 50000)]},
    "1.004227": {"weight": 4.0, "org_share": 0.15,
                 "documents": ["Đơn đăng ký biến động đất đai, tài sản gắn liền với đất", "Bản gốc Giấy chứng nhận đã cấp",
                               "Hợp đồng chuyển nhượng quyền sử dụng đất", "Tờ khai lệ phí trước bạ"],
                 "result": "Giấy chứng nhận quyền sử dụng đất đã xác nhận nội dung biến động",
                 "fees": [("Lệ phí cấp Giấy chứng nhận quyền sử dụng đất", 100000, None),
                          ("Phí thẩm định hồ sơ cấp Giấy chứng nhận", 500000, None)]},
    "1.009994": {"weight": 2.0, "org_share": 0.1,
                 "documents": ["Đơn đề nghị cấp giấy phép xây dựng", "Bản sao giấy tờ chứng minh quyền sử dụng đất",
                               "Bản vẽ thiết kế xây dựng"],
                 "result": "Giấy phép xây dựng", "fees": [("Lệ phí cấp giấy phép xây dựng", 75000, None)]},
})

# --- agencies ----------------------------------------------------------------------------------------

# Provincial departments before 1 March 2025: number, name, sectors handled.
_DEPARTMENTS = [
    (10, "Sở Nội vụ", {"NOI_VU", "THI_DUA", "TON_GIAO"}),
    (11, "Sở Tư pháp", {"LY_LICH_TU_PHAP", "CONG_CHUNG", "LUAT_SU"}),
    (12, "Sở Công Thương", {"CONG_THUONG", "XANG_DAU"}),
    (13, "Sở Kế hoạch và Đầu tư", {"THANH_LAP_DOANH_NGHIEP", "DAU_TU"}),
    (14, "Sở Tài chính", {"TAI_CHINH"}),
    (15, "Sở Xây dựng", {"XAY_DUNG"}),
    (16, "Sở Giao thông vận tải", {"GIAO_THONG"}),
    (17, "Sở Tài nguyên và Môi trường", {"DAT_DAI", "BAO_DAM", "MOI_TRUONG"}),
    (18, "Sở Thông tin và Truyền thông", {"THONG_TIN"}),
    (19, "Sở Lao động - Thương binh và Xã hội", {"LAO_DONG", "VIEC_LAM"}),
    (20, "Sở Văn hóa và Thể thao", {"VAN_HOA"}),
    (21, "Sở Khoa học và Công nghệ", {"KHOA_HOC"}),
    (22, "Sở Giáo dục và Đào tạo", {"GIAO_DUC"}),
    (23, "Sở Y tế", {"Y_TE", "DUOC", "AN_TOAN_THUC_PHAM"}),
    (24, "Sở Nông nghiệp và Phát triển nông thôn", {"NONG_NGHIEP", "THUY_SAN"}),
    (25, "Ban Quản lý các Khu công nghiệp", {"KHU_CONG_NGHIEP"}),
    (26, "Sở Du lịch", {"DU_LICH"}),
    (27, "Thanh tra tỉnh", {"KHIEU_NAI"}),
    (28, "Sở Ngoại vụ", {"NGOAI_VU"}),
]
# 1 March 2025: absorbed department -> absorbing one; the absorbing one gets a new version (name, sectors).
_ABSORBED = {13: 14, 16: 15, 17: 24, 18: 21, 19: 10, 26: 20}
_RENAMED_2025 = {24: "Sở Nông nghiệp và Môi trường", 20: "Sở Văn hóa, Thể thao và Du lịch"}
# HCMC departments serving the former province from 1 July 2025: number, name, sectors.
_HCMC_DEPARTMENTS = [
    (1, "Sở Nội vụ", {"NOI_VU", "THI_DUA", "TON_GIAO", "LAO_DONG", "VIEC_LAM"}),
    (2, "Sở Tư pháp", {"LY_LICH_TU_PHAP", "CONG_CHUNG", "LUAT_SU"}),
    (3, "Sở Công Thương", {"CONG_THUONG", "XANG_DAU"}),
    (4, "Sở Tài chính", {"TAI_CHINH", "THANH_LAP_DOANH_NGHIEP", "DAU_TU"}),
    (5, "Sở Xây dựng", {"XAY_DUNG", "GIAO_THONG"}),
    (6, "Sở Nông nghiệp và Môi trường", {"NONG_NGHIEP", "THUY_SAN", "DAT_DAI", "BAO_DAM", "MOI_TRUONG"}),
    (7, "Sở Khoa học và Công nghệ", {"KHOA_HOC", "THONG_TIN"}),
    (8, "Sở Văn hóa và Thể thao", {"VAN_HOA"}),
    (9, "Sở Du lịch", {"DU_LICH"}),
    (10, "Sở Giáo dục và Đào tạo", {"GIAO_DUC"}),
    (11, "Sở Y tế", {"Y_TE", "DUOC", "AN_TOAN_THUC_PHAM"}),
    (12, "Ban Quản lý các Khu chế xuất và công nghiệp", {"KHU_CONG_NGHIEP"}),
    (13, "Sở Ngoại vụ", {"NGOAI_VU"}),
    (14, "Thanh tra Thành phố", {"KHIEU_NAI"}),
]
# Relative dossier volume of a department sector (a department's weight is the sum over its sectors).
SECTOR_WEIGHT = {
    "LY_LICH_TU_PHAP": 1.8, "CONG_CHUNG": 0.05, "LUAT_SU": 0.05, "THANH_LAP_DOANH_NGHIEP": 2.2, "DAU_TU": 0.3,
    "CONG_THUONG": 0.5, "XANG_DAU": 0.1, "TAI_CHINH": 0.3, "XAY_DUNG": 0.5, "GIAO_THONG": 4.0, "DAT_DAI": 3.0,
    "BAO_DAM": 1.0, "MOI_TRUONG": 0.3, "THONG_TIN": 0.1, "LAO_DONG": 0.6, "VIEC_LAM": 1.0, "VAN_HOA": 0.1,
    "KHOA_HOC": 0.1, "GIAO_DUC": 0.5, "Y_TE": 0.5, "DUOC": 0.3, "AN_TOAN_THUC_PHAM": 0.3, "NONG_NGHIEP": 0.6,
    "THUY_SAN": 0.8, "KHU_CONG_NGHIEP": 0.5, "DU_LICH": 0.2, "NOI_VU": 0.1, "THI_DUA": 0.1, "TON_GIAO": 0.0,
    "KHIEU_NAI": 0.05, "NGOAI_VU": 0.05,
}

# District-level units: number, kind + name, national unit code, weight, communes (kind, name).
_P_, _X_, _TT_ = "phường", "xã", "thị trấn"
_DISTRICTS = [
    (31, "thành phố Vũng Tàu", "747", 4.0, [
        (_P_, "Phường 1"), (_P_, "Thắng Tam"), (_X_, "Long Sơn"), (_P_, "Phường 2"), (_P_, "Phường 3"),
        (_P_, "Phường 4"), (_P_, "Phường 5"), (_P_, "Phường 7"), (_P_, "Phường 8"), (_P_, "Phường 9"),
        (_P_, "Phường 10"), (_P_, "Phường 11"), (_P_, "Phường 12"), (_P_, "Thắng Nhất"), (_P_, "Thắng Nhì"),
        (_P_, "Rạch Dừa"), (_P_, "Nguyễn An Ninh")]),
    (32, "thành phố Bà Rịa", "748", 2.5, [
        (_P_, "Phước Hưng"), (_P_, "Phước Hiệp"), (_P_, "Phước Nguyên"), (_P_, "Long Toàn"), (_P_, "Long Tâm"),
        (_P_, "Phước Trung"), (_P_, "Long Hương"), (_P_, "Kim Dinh"), (_X_, "Tân Hưng"), (_X_, "Long Phước"),
        (_X_, "Hòa Long")]),
    (33, "thị xã Phú Mỹ", "754", 2.5, [
        (_P_, "Phú Mỹ"), (_P_, "Mỹ Xuân"), (_P_, "Hắc Dịch"), (_P_, "Tân Phước"), (_P_, "Phước Hòa"),
        (_P_, "Tân Hòa"), (_P_, "Tân Hải"), (_X_, "Sông Xoài"), (_X_, "Tóc Tiên"), (_X_, "Châu Pha")]),
    (34, "huyện Châu Đức", "750", 2.0, [
        (_TT_, "Ngãi Giao"), (_X_, "Bàu Chinh"), (_X_, "Bình Ba"), (_X_, "Bình Giã"), (_X_, "Bình Trung"),
        (_X_, "Cù Bị"), (_X_, "Đá Bạc"), (_X_, "Kim Long"), (_X_, "Láng Lớn"), (_X_, "Nghĩa Thành"),
        (_X_, "Quảng Thành"), (_X_, "Sơn Bình"), (_X_, "Suối Nghệ"), (_X_, "Suối Rao"), (_X_, "Xà Bang"),
        (_X_, "Xuân Sơn")]),
    (35, "huyện Xuyên Mộc", "751", 2.0, [
        (_TT_, "Phước Bửu"), (_X_, "Bàu Lâm"), (_X_, "Bình Châu"), (_X_, "Bông Trang"), (_X_, "Bưng Riềng"),
        (_X_, "Hòa Bình"), (_X_, "Hòa Hiệp"), (_X_, "Hòa Hội"), (_X_, "Hòa Hưng"), (_X_, "Phước Tân"),
        (_X_, "Phước Thuận"), (_X_, "Tân Lâm"), (_X_, "Xuyên Mộc")]),
    (36, "huyện Long Điền", "752", 1.8, [
        (_TT_, "Long Điền"), (_TT_, "Long Hải"), (_X_, "An Ngãi"), (_X_, "An Nhứt"), (_X_, "Phước Hưng"),
        (_X_, "Phước Tỉnh"), (_X_, "Tam Phước")]),
    (37, "huyện Đất Đỏ", "753", 1.2, [
        (_TT_, "Đất Đỏ"), (_TT_, "Phước Hải"), (_X_, "Long Tân"), (_X_, "Láng Dài"), (_X_, "Lộc An"),
        (_X_, "Phước Hội"), (_X_, "Phước Long Thọ")]),
    (38, "huyện Côn Đảo", "755", 0.4, []),
]
COMMUNE_WEIGHT = 0.4  # a commune's volume relative to one unit of SECTOR_WEIGHT / district weight

# The 30 commune-level units of the former province from 1 July 2025: kind, name, predecessors
# (district number, commune name); Côn Đảo special zone succeeds the district itself.
_NEW_COMMUNES = [
    (_P_, "Vũng Tàu", [(31, n) for n in ("Phường 1", "Phường 2", "Phường 3", "Phường 4", "Phường 5", "Thắng Nhì")]),
    (_P_, "Tam Thắng", [(31, n) for n in ("Phường 7", "Phường 8", "Phường 9", "Nguyễn An Ninh", "Thắng Tam")]),
    (_P_, "Rạch Dừa", [(31, n) for n in ("Rạch Dừa", "Phường 10", "Thắng Nhất")]),
    (_P_, "Phước Thắng", [(31, "Phường 11"), (31, "Phường 12")]),
    (_X_, "Long Sơn", [(31, "Long Sơn")]),
    (_P_, "Bà Rịa", [(32, n) for n in ("Phước Hưng", "Phước Hiệp", "Phước Nguyên", "Long Toàn", "Phước Trung")]),
    (_P_, "Long Hương", [(32, "Kim Dinh"), (32, "Long Hương"), (32, "Tân Hưng")]),
    (_P_, "Tam Long", [(32, "Long Tâm"), (32, "Long Phước"), (32, "Hòa Long")]),
    (_P_, "Phú Mỹ", [(33, "Phú Mỹ"), (33, "Mỹ Xuân")]),
    (_P_, "Tân Thành", [(33, "Hắc Dịch"), (33, "Sông Xoài")]),
    (_P_, "Tân Phước", [(33, "Tân Phước"), (33, "Phước Hòa")]),
    (_P_, "Tân Hải", [(33, "Tân Hòa"), (33, "Tân Hải")]),
    (_X_, "Châu Pha", [(33, "Châu Pha"), (33, "Tóc Tiên")]),
    (_X_, "Ngãi Giao", [(34, "Ngãi Giao"), (34, "Bình Ba"), (34, "Suối Nghệ")]),
    (_X_, "Bình Giã", [(34, "Bình Giã"), (34, "Bình Trung"), (34, "Quảng Thành")]),
    (_X_, "Kim Long", [(34, "Kim Long"), (34, "Láng Lớn"), (34, "Bàu Chinh")]),
    (_X_, "Châu Đức", [(34, "Cù Bị"), (34, "Xà Bang")]),
    (_X_, "Xuân Sơn", [(34, "Xuân Sơn"), (34, "Suối Rao"), (34, "Sơn Bình")]),
    (_X_, "Nghĩa Thành", [(34, "Nghĩa Thành"), (34, "Đá Bạc")]),
    (_X_, "Hồ Tràm", [(35, "Phước Thuận"), (35, "Bông Trang")]),
    (_X_, "Xuyên Mộc", [(35, "Xuyên Mộc"), (35, "Phước Bửu"), (35, "Phước Tân")]),
    (_X_, "Hòa Hội", [(35, "Hòa Hội"), (35, "Hòa Hưng"), (35, "Hòa Bình")]),
    (_X_, "Bàu Lâm", [(35, "Bàu Lâm"), (35, "Tân Lâm")]),
    (_X_, "Bình Châu", [(35, "Bình Châu"), (35, "Bưng Riềng")]),
    (_X_, "Hòa Hiệp", [(35, "Hòa Hiệp")]),
    (_X_, "Phước Hải", [(37, "Phước Hải"), (37, "Phước Hội"), (37, "Lộc An")]),
    (_X_, "Long Hải", [(36, "Long Hải"), (36, "Phước Tỉnh"), (36, "Phước Hưng")]),
    (_X_, "Đất Đỏ", [(37, "Đất Đỏ"), (37, "Long Tân"), (37, "Láng Dài"), (37, "Phước Long Thọ")]),
    (_X_, "Long Điền", [(36, "Long Điền"), (36, "An Ngãi"), (36, "Tam Phước"), (36, "An Nhứt")]),
    ("đặc khu", "Côn Đảo", [(38, None)]),
]

_FIXED_UNIT_CODES = {(31, "Phường 1"): "26506", (31, "Thắng Tam"): "26508", (31, "Long Sơn"): "26545"}


def _agency(code, name, level, parent, unit, valid_from, valid_to=None) -> dict:
    return {"code": code, "name": name, "level": level, "parentCode": parent, "adminUnitCode": unit,
            "validFrom": valid_from, "validTo": valid_to}


def _build_agencies():
    """(AGENCIES, sectors per (code, validFrom), weight per (code, validFrom), successor map)."""
    agencies: list[dict] = []
    sectors: dict[tuple[str, str], frozenset] = {}
    weights: dict[tuple[str, str], float] = {}
    successor: dict[str, str] = {}

    def add(agency: dict, weight: float, handled=None) -> None:
        agencies.append(agency)
        key = (agency["code"], agency["validFrom"])
        weights[key] = weight
        if handled is not None:
            sectors[key] = frozenset(handled)

    # Departments, with the 1 March 2025 restructuring.
    by_number = {n: (name, set(s)) for n, name, s in _DEPARTMENTS}
    merged = {n: set(s) for n, _, s in _DEPARTMENTS}
    for gone, into in _ABSORBED.items():
        merged[into] |= by_number[gone][1]
    for number, name, handled in _DEPARTMENTS:
        code = f"000.00.{number}.H03"
        full = f"{name} {PROVINCE}"
        weight = sum(SECTOR_WEIGHT[s] for s in handled)
        if number in _ABSORBED:
            add(_agency(code, full, "TINH", None, "77", ORIGIN, BEFORE_DEPARTMENT_REFORM), weight, handled)
            successor[code] = f"000.00.{_ABSORBED[number]}.H03"
        elif number in _ABSORBED.values():
            add(_agency(code, full, "TINH", None, "77", ORIGIN, BEFORE_DEPARTMENT_REFORM), weight, handled)
            new_name = f"{_RENAMED_2025.get(number, name)} {PROVINCE}"
            add(_agency(code, new_name, "TINH", None, "77", DEPARTMENT_REFORM_DATE, BEFORE_REFORM),
                sum(SECTOR_WEIGHT[s] for s in merged[number]), merged[number])
        else:
            add(_agency(code, full, "TINH", None, "77", ORIGIN, BEFORE_REFORM), weight, handled)
    hcmc_of_sector = {s: f"000.00.{n:02d}.H29" for n, _, ss in _HCMC_DEPARTMENTS for s in ss}
    for number, name, handled in _HCMC_DEPARTMENTS:
        add(_agency(f"000.00.{number:02d}.H29", f"{name} {HCMC}", "TINH", None, "79", REFORM_DATE),
            sum(SECTOR_WEIGHT[s] for s in handled), handled)
    for number, _, handled in _DEPARTMENTS:
        code = f"000.00.{number}.H03"
        successor.setdefault(code, hcmc_of_sector[sorted(handled)[0]])
    for number in _ABSORBED.values():
        successor[f"000.00.{number}.H03"] = hcmc_of_sector[sorted(by_number[number][1])[0]]

    # Districts and communes until the reform; new communes after it.
    unit_number = 0
    commune_code: dict[tuple[int, str | None], str] = {}
    commune_weight: dict[tuple[int, str | None], float] = {}
    for number, district, unit, weight, communes in _DISTRICTS:
        dcode = f"000.00.{number}.H03"
        add(_agency(dcode, f"UBND {district}", "HUYEN", None, unit, ORIGIN, BEFORE_REFORM), weight)
        commune_code[(number, None)], commune_weight[(number, None)] = dcode, weight
        for index, (kind, name) in enumerate(communes, start=1):
            code = f"000.{index:02d}.{number}.H03"
            if (number, name) in _FIXED_UNIT_CODES:
                au = _FIXED_UNIT_CODES[(number, name)]
            else:
                au = f"{26600 + 2 * unit_number}"
                unit_number += 1
            label = name if name.startswith("Phường ") else f"{kind} {name}"
            w = COMMUNE_WEIGHT * (1.5 if kind == _P_ else 1.0)
            commune_code[(number, name)], commune_weight[(number, name)] = code, w
            if (number, name) == (31, "Phường 1"):  # merged into Phường 2 in the middle of a month
                add(_agency(code, f"UBND {label}, {district}", "XA", dcode, au, ORIGIN, MERGER_LAST_DAY), w)
            elif (number, name) == (31, "Long Sơn"):  # renamed in place: commune -> ward
                add(_agency(code, f"UBND xã Long Sơn, {district}", "XA", dcode, au, ORIGIN, "2024-09-30"), w)
                add(_agency(code, f"UBND phường Long Sơn, {district}", "XA", dcode, au, RENAME_DATE, BEFORE_REFORM), w)
            else:
                add(_agency(code, f"UBND {label}, {district}", "XA", dcode, au, ORIGIN, BEFORE_REFORM), w)
    successor[commune_code[(31, "Phường 1")]] = commune_code[(31, "Phường 2")]
    for index, (kind, name, predecessors) in enumerate(_NEW_COMMUNES, start=1):
        code = f"000.{index:02d}.70.H29"
        # Volume: the merged communes' own plus their district's share (district work moves down).
        weight = sum(commune_weight[p] for p in predecessors)
        for number, _, _, dweight, communes in _DISTRICTS:
            n_new = sum(1 for _, _, preds in _NEW_COMMUNES if any(p[0] == number for p in preds))
            if any(p[0] == number for p in predecessors):
                weight += dweight / n_new
        title = "Đặc khu" if kind == "đặc khu" else f"UBND {kind}"
        add(_agency(code, f"{title} {name}, {HCMC}", "XA", None, f"{26900 + 3 * index}", REFORM_DATE), weight)
        for p in predecessors:
            successor.setdefault(commune_code[p], code)
            successor.setdefault(f"000.00.{p[0]}.H03", code)  # a district: its first successor commune
    agencies.sort(key=lambda a: (a["code"], a["validFrom"]))
    return agencies, sectors, weights, successor


# One dict per agency *version*, exactly the portal `departments` item. Ordered by code, then validFrom.
AGENCIES, _SECTORS, _WEIGHTS, SUCCESSOR = _build_agencies()
# Agency code -> the agency that takes over its dossiers after it ends (1 March or 1 July 2025).

_PROC_BY_CODE = {p["code"]: p for p in PROCEDURES}
_VERSIONS: dict[str, list[dict]] = {}
for _a in AGENCIES:
    _VERSIONS.setdefault(_a["code"], []).append(_a)


def agency_codes(day: date | None = None) -> list[str]:
    """Every distinct agency code, sorted (versions collapsed); with `day`, those in force that day."""
    if day is None:
        return sorted(_VERSIONS)
    return sorted(c for c in _VERSIONS if agency_version(c, day) is not None)


def agency_version(code: str, day: date) -> dict | None:
    """The version of agency `code` in force on `day`, or None."""
    iso = day.isoformat()
    for a in _VERSIONS.get(code, ()):
        if a["validFrom"] <= iso and (a["validTo"] is None or iso <= a["validTo"]):
            return a
    return None


def procedure(code: str) -> dict:
    """The procedure with this national code (KeyError if unknown)."""
    return _PROC_BY_CODE[code]


def is_reformed(agency: dict) -> bool:
    """True for an agency of the post-reform structure (HCMC, from 1 July 2025)."""
    return agency["code"].endswith(".H29")


def procedures_for(agency_code: str, day: date | None = None) -> list[dict]:
    """Procedures in force that agency `agency_code` handles (on `day`; default: its latest version).

    Level must match; a provincial department handles its own sectors only; after the reform a
    commune-level unit also handles the former district-level procedures.
    """
    versions = _VERSIONS[agency_code]
    version = (agency_version(agency_code, day) if day is not None else None) or versions[-1]
    return _procedures_of(version["code"], version["validFrom"])


_PROCS_CACHE: dict[tuple[str, str], list[dict]] = {}


def _procedures_of(code: str, valid_from: str) -> list[dict]:
    key = (code, valid_from)
    if key not in _PROCS_CACHE:
        version = next(a for a in _VERSIONS[code] if a["validFrom"] == valid_from)
        levels = {version["level"]}
        if version["level"] == "XA" and is_reformed(version):
            levels.add("HUYEN")
        sectors = _SECTORS.get(key)
        _PROCS_CACHE[key] = [
            p for p in PROCEDURES
            if p["state"] == "CONG_KHAI" and levels & set(p["levels"])
            and (sectors is None or p["sectorCode"] in sectors)
            and PROCEDURE_DETAILS[p["code"]]["weight"] > 0
        ]
    return _PROCS_CACHE[key]


def agency_weight(code: str, valid_from: str) -> float:
    """Relative dossier volume of one agency version."""
    return _WEIGHTS[(code, valid_from)]


def _unit(text: str, salt: str) -> float:
    """A stable number in [0, 1) from a text (agency traits that differ but never change)."""
    return int.from_bytes(hashlib.sha256(f"{salt}:{text}".encode()).digest()[:6], "big") / 2**48


LEVEL_REMOTE_OFFSET = {"TINH": +0.06, "HUYEN": -0.01, "XA": -0.05}


def remote_offset(code: str, level: str) -> float:
    """How far an agency's online-remote share sits from the province trend (level + own trait)."""
    return LEVEL_REMOTE_OFFSET[level] + (_unit(code, "remote") - 0.5) * 0.16


def late_propensity(code: str) -> float:
    """Share of an agency's finished dossiers that finish late: 3 % to 25 %, stable per agency."""
    return 0.03 + 0.22 * _unit(code, "late") ** 2
