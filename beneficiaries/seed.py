"""The Bolivian banks interbank transfers can reach, as supervised by ASFI (staff may edit)."""

BANKS = [
    ("BNB", "Banco Nacional de Bolivia S.A."),
    ("BMSC", "Banco Mercantil Santa Cruz S.A."),
    ("BISA", "Banco BISA S.A."),
    ("BCP", "Banco de Crédito de Bolivia S.A."),
    ("BUN", "Banco Unión S.A."),
    ("BEC", "Banco Económico S.A."),
    ("BGA", "Banco Ganadero S.A."),
    ("BFIE", "Banco para el Fomento a Iniciativas Económicas S.A. (FIE)"),
    ("BSOL", "Banco Solidario S.A. (BancoSol)"),
    ("PRODEM", "Banco PRODEM S.A."),
    ("BFO", "Banco Fortaleza S.A."),
    ("ECOF", "Banco PYME Ecofuturo S.A."),
    ("BDB", "Banco de Desarrollo Productivo S.A.M."),
    ("BNA", "Banco de la Nación Argentina (Sucursal Bolivia)"),
]


def seed_banks(bank_model) -> None:
    for code, name in BANKS:
        bank_model.objects.get_or_create(code=code, defaults={"name": name})
