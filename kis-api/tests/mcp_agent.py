"""An agent's session with `kis mcp`, through the official MCP Python SDK (`mcp` on PyPI).

Run by kis-api/tests/mcp.rs against a kis-mock it started:

    python3 mcp_agent.py --kis PATH --rest-url URL --ws-url URL --out DIR
    KIS_MCP_TOKEN=T python3 mcp_agent.py --http URL --out DIR   # streamable HTTP

The server's credentials come from this process's KIS_APP_KEY, KIS_APP_SECRET and KIS_ACCOUNT
(fake ones the Rust test gave the mock). Every tool result is written to DIR/results.jsonl and
the servers' stderr to DIR/stderr-*.log, so the Rust test can look for secrets in all of them.
Each check that fails raises; the exit code says whether all passed.
"""

import argparse
import asyncio
import json
import os
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

GENERAL_TOOLS = ["kis_search", "kis_describe", "kis_call", "kis_order", "kis_confirm", "kis_watch"]

ORDER = {
    "endpoint": "domestic_stock.order_cash",
    "variant": "buy",
    "inputs": {"PDNO": "005930", "ORD_DVSN": "지정가", "ORD_QTY": "3", "ORD_UNPR": "70000"},
}


def check(condition, what, result=None):
    if not condition:
        shown = "" if result is None else "\n" + result.model_dump_json(indent=1)[:3000]
        raise AssertionError(what + shown)


def text_of(result):
    return "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")


class Agent:
    def __init__(self, session, log):
        self.session = session
        self.log = log

    async def call(self, name, arguments):
        result = await self.session.call_tool(name, arguments)
        self.log.write(json.dumps({"tool": name, "arguments": arguments,
                                   "result": json.loads(result.model_dump_json())},
                                  ensure_ascii=False) + "\n")
        self.log.flush()
        return result

    async def ok(self, name, arguments):
        r = await self.call(name, arguments)
        check(not r.is_error, f"{name} {arguments} failed: {text_of(r)}", r)
        check(r.structured_content is not None, f"{name}: no structured content", r)
        env = r.structured_content.get("environment", {})
        check(env.get("name") == "demo", f"{name}: the environment is named demo: {env}", r)
        return r.structured_content

    async def error(self, name, arguments, *needles):
        r = await self.call(name, arguments)
        check(r.is_error, f"{name} {arguments} should be a tool error", r)
        text = text_of(r)
        for n in needles:
            check(n in text, f"{name}: '{n}' not in the error: {text}", r)
        check("demo" in text, f"{name}: the error names the environment: {text}", r)
        return text


def server(args, out, name, extra):
    env = {k: os.environ[k] for k in ("KIS_APP_KEY", "KIS_APP_SECRET", "KIS_ACCOUNT", "HOME",
                                      "XDG_CACHE_HOME") if k in os.environ}
    params = StdioServerParameters(
        command=args.kis,
        args=["--demo", "--rest-url", args.rest_url, "--ws-url", args.ws_url, "mcp", *extra],
        env=env,
    )
    errlog = open(os.path.join(out, f"stderr-{name}.log"), "w")
    return params, errlog


async def without_orders(args, log):
    params, errlog = server(args, args.out, "previews", [])
    with errlog:
        async with stdio_client(params, errlog=errlog) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                agent = Agent(session, log)

                listed = await session.list_tools()
                names = [t.name for t in listed.tools]
                for t in GENERAL_TOOLS:
                    check(t in names, f"{t} is listed: {names}")
                for t in listed.tools:
                    check(t.input_schema.get("type") == "object", f"{t.name} has an object schema")
                    check(t.description, f"{t.name} is described")
                call_schema = next(t for t in listed.tools if t.name == "kis_call").input_schema
                check("endpoint" in call_schema["required"], "kis_call requires endpoint")

                found = await agent.ok("kis_search", {"query": "주식현재가 시세"})
                ids = [e["id"] for e in found["endpoints"]]
                check("domestic_stock.inquire_price" in ids, f"search by Korean name: {ids}")
                by_tr = await agent.ok("kis_search", {"query": "FHKST01010100"})
                check(by_tr["endpoints"][0]["id"] == "domestic_stock.inquire_price", "search by TR ID")

                described = await agent.ok("kis_describe", {"endpoint": "domestic_stock.inquire_price"})
                inputs = {i["wire"]: i for i in described["inputs"]}
                check("FID_INPUT_ISCD" in inputs, f"describe lists inputs: {list(inputs)}")
                market = inputs["FID_COND_MRKT_DIV_CODE"]
                check(any(v["value"] == "J" and v["label"] for v in market["values"]),
                      "describe gives value sets with labels")
                check(described["demo"] is True and described["use"] == "kis_call", "demo and tool")

                quote = await agent.ok("kis_call", {
                    "endpoint": "domestic_stock.inquire_price",
                    "inputs": {"fid_cond_mrkt_div_code": "J", "FID_INPUT_ISCD": "005930"},
                    "labels": True,
                })
                price = quote["data"]["output"]["stck_prpr"]
                check(str(price).isdigit(), f"a quote has a price: {price}")
                check(quote["labels"]["stck_prpr"], "labels in Korean on request")
                check(quote["tr_id"] == "FHKST01010100", "the TR ID sent")

                await agent.error("kis_call", {"endpoint": "domestic_stock.no_such_thing", "inputs": {}},
                                  "unknown endpoint")
                await agent.error("kis_call", {
                    "endpoint": "domestic_stock.inquire_price",
                    "inputs": {"FID_COND_MRKT_DIV_CODE": "Q", "FID_INPUT_ISCD": "005930"},
                }, "FID_COND_MRKT_DIV_CODE", "'Q' is not one of", "J=")
                await agent.error("kis_call", ORDER, "kis_order")

                preview = await agent.ok("kis_order", ORDER)
                check(preview["sent"] is False, "a preview sends nothing")
                check(preview["preview"]["account"] == "******45-01", f"masked: {preview['preview']}")
                check(preview["preview"]["tr_id"] == "VTTC0012U", f"the demo buy TR: {preview['preview']}")
                sent_inputs = {i["input"]: i["value"] for i in preview["preview"]["inputs"]}
                check(sent_inputs["ORD_DVSN"] == "00", f"a label read as its code: {sent_inputs}")
                check(preview["can_confirm"] is False, "no --allow-orders: cannot confirm")
                await agent.error("kis_confirm", {"confirmation": preview["confirmation"]},
                                  "--allow-orders")

                snap = await agent.ok("kis_watch", {"tr": "H0STCNT0", "key": "005930",
                                                    "count": 2, "seconds": 15})
                check(snap["count"] == 2 and len(snap["records"]) == 2, f"two records: {snap}")
                check(snap["records"][0].get("MKSC_SHRN_ISCD") == "005930", "typed record")
                by_id = await agent.ok("kis_watch", {"tr": "domestic_stock.ccnl_krx", "key": "005930",
                                                     "count": 1, "seconds": 15})
                check(by_id["tr_id"] == "H0STCNT0", "tr as an endpoint id")


async def with_orders(args, log):
    params, errlog = server(args, args.out, "orders", ["--allow-orders"])
    with errlog:
        async with stdio_client(params, errlog=errlog) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                agent = Agent(session, log)
                preview = await agent.ok("kis_order", ORDER)
                check(preview["can_confirm"] is True, "--allow-orders: can confirm")
                confirmation = preview["confirmation"]
                placed = await agent.ok("kis_confirm", {"confirmation": confirmation})
                check(placed["sent"] is True, "the order was sent")
                check(placed["tr_id"] == "VTTC0012U", "as previewed")
                await agent.error("kis_confirm", {"confirmation": confirmation}, "already used")
                await agent.error("kis_confirm", {"confirmation": "0" * 32}, "no such confirmation")


async def over_http(url, log):
    """The streamable HTTP transport with the bearer token from KIS_MCP_TOKEN (embedded mock)."""
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    headers = {"Authorization": "Bearer " + os.environ["KIS_MCP_TOKEN"]}
    async with httpx2.AsyncClient(headers=headers, timeout=30) as http:
        async with streamable_http_client(url, http_client=http) as streams:
            read, write = streams[0], streams[1]
            async with ClientSession(read, write) as session:
                await session.initialize()
                names = [t.name for t in (await session.list_tools()).tools]
                check(names == GENERAL_TOOLS, f"six tools over HTTP: {names}")
                agent = Agent(session, log)
                r = await agent.call("kis_call", {
                    "endpoint": "domestic_stock.inquire_price",
                    "inputs": {"FID_COND_MRKT_DIV_CODE": "J", "FID_INPUT_ISCD": "005930"},
                })
                check(not r.is_error, f"a quote over HTTP: {text_of(r)}", r)
                env = r.structured_content["environment"]
                check(env["embedded_mock"] is True, f"the embedded mock, named: {env}", r)
                preview = await agent.call("kis_order", ORDER)
                check(not preview.is_error and preview.structured_content["sent"] is False,
                      "a preview over HTTP", preview)


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--http")
    for a in ("--kis", "--rest-url", "--ws-url"):
        p.add_argument(a)
    p.add_argument("--out", required=True)
    args = p.parse_args()
    if args.http:
        with open(os.path.join(args.out, "http-results.jsonl"), "w") as log:
            await over_http(args.http, log)
        print("all checks passed")
        return
    with open(os.path.join(args.out, "results.jsonl"), "w") as log:
        await without_orders(args, log)
        await with_orders(args, log)
    print("all checks passed")


if __name__ == "__main__":
    try:
        asyncio.run(asyncio.wait_for(main(), 90))
    except (AssertionError, asyncio.TimeoutError) as e:
        print(f"FAILED: {e}", file=sys.stderr)
        sys.exit(1)
