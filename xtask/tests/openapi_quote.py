"""Reads a quote from kis-mock through the client openapi-python-client generated.

Usage: python3 openapi_quote.py CLIENT_PARENT_DIR BASE_URL
Prints the current price (stck_prpr) of 005930 on its last line.
"""

import sys

sys.path.insert(0, sys.argv[1])
base_url = sys.argv[2]

from kis_client import AuthenticatedClient, Client  # noqa: E402
from kis_client.api.auth import auth_auth_token  # noqa: E402
from kis_client.api.domestic_stock import domestic_stock_inquire_price as quote  # noqa: E402
from kis_client.models.auth_auth_token_request import AuthAuthTokenRequest  # noqa: E402
from kis_client.models.domestic_stock_inquire_price_response import (  # noqa: E402
    DomesticStockInquirePriceResponse,
)

APP_KEY = "openapi-test-key"
APP_SECRET = "openapi-test-secret"

token = auth_auth_token.sync(
    client=Client(base_url=base_url),
    body=AuthAuthTokenRequest(
        grant_type="client_credentials", appkey=APP_KEY, appsecret=APP_SECRET
    ),
)
if not getattr(token, "access_token", None):
    sys.exit(f"no access token: {token!r}")

client = AuthenticatedClient(
    base_url=base_url,
    token=token.access_token,
    headers={"appkey": APP_KEY, "appsecret": APP_SECRET},
)
answer = quote.sync(
    client=client,
    tr_id=quote.DomesticStockInquirePriceTrId("FHKST01010100"),
    fid_cond_mrkt_div_code=quote.DomesticStockInquirePriceFIDCONDMRKTDIVCODE("J"),
    fid_input_iscd="005930",
    custtype="P",
)
if not isinstance(answer, DomesticStockInquirePriceResponse):
    sys.exit(f"not a quote: {answer!r}")
if answer.rt_cd != "0":
    sys.exit(f"rt_cd {answer.rt_cd}: {answer.msg_cd} {answer.msg1}")
print(answer.output.stck_prpr)
