#!/usr/bin/python3
"""bedrock_facts.py SERVER_LOG OUTPUT_JSONL - prints "name value" lines about
what fake_bedrock.py received and what authguard wrote, for bedrock.sh to
compare: request and authentication counts, attempts per request body and
the gaps between them, the fence around the finding's context, the tool
results sent back, and the Bedrock Updates and fallbacks in the output."""
import hashlib
import json
import re
import sys
from collections import Counter, defaultdict

reqs = [json.loads(l) for l in open(sys.argv[1])]
out = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
raw_out = open(sys.argv[2], encoding="utf-8", errors="replace").read()
facts = {}

facts["requests"] = len(reqs)
facts["auth_ok"] = sum(1 for r in reqs if r.get("auth_ok"))
facts["auth_bad"] = sum(1 for r in reqs if not r.get("auth_ok"))
facts["bearer"] = sum(1 for r in reqs if r.get("auth") == "bearer")
facts["with_token"] = sum(1 for r in reqs if r.get("token"))
facts["akids"] = len({r.get("akid") for r in reqs if r.get("akid")})
facts["imds_akids"] = sum(1 for r in reqs if (r.get("akid") or "").startswith("ASIAIMDSROLE"))
for code, n in Counter(r.get("status") for r in reqs).items():
    facts[f"status_{code}"] = n
bad = [r for r in reqs if not r.get("auth_ok")]
facts["first_auth_error"] = (bad[0]["why"].splitlines() or ["-"])[0].replace(" ", "_") if bad else "-"

# attempts per identical body (a retry resends the same bytes)
by_body = defaultdict(list)
for r in reqs:
    by_body[hashlib.sha256(json.dumps(r.get("body"), sort_keys=True).encode()).hexdigest()].append(r["t"])
facts["distinct_bodies"] = len(by_body)
facts["max_attempts_per_body"] = max((len(v) for v in by_body.values()), default=0)
facts["min_attempts_per_body"] = min((len(v) for v in by_body.values()), default=0)
gaps = [b - a for ts in by_body.values() for a, b in zip(sorted(ts), sorted(ts)[1:])]
facts["max_gap_ms"] = int(max(gaps) * 1000) if gaps else 0
# per attempt number: the largest gap before attempt k (k = 2, 3)
for k in (2, 3):
    g = [sorted(ts)[k - 1] - sorted(ts)[k - 2] for ts in by_body.values() if len(ts) >= k]
    facts[f"max_gap_before_{k}_ms"] = int(max(g) * 1000) if g else 0

# conversations: the first turn of each (one user message)
first = [r for r in reqs if r.get("body") and len(r["body"].get("messages", [])) == 1]
facts["conversations"] = len({json.dumps(r["body"], sort_keys=True) for r in first})
nonces, fence_ok, hostile_inside, marker_in_data, data_in_system, esc_in_data = set(), 0, 0, 0, 0, 0
for r in first:
    text = r["body"]["messages"][0]["content"][0]["text"]
    m = re.findall(r'<authguard-data nonce="([0-9a-f]{32})">\n(.*)\n</authguard-data nonce="([0-9a-f]{32})">',
                   text, re.S)
    opens = text.count("<authguard-data")
    closes = text.count("</authguard-data")
    if len(m) == 1 and m[0][0] == m[0][2] and opens == 1 and closes == 1:
        fence_ok += 1
        nonces.add(m[0][0])
        data = m[0][1]
        ctx = json.loads(data)
        users = ctx["history"]["users_tried"]
        if any("IGNORE ALL PREVIOUS INSTRUCTIONS" in u for u in users):
            hostile_inside += 1
        if "authguard-data" in data or m[0][0] in data:
            marker_in_data += 1
        if "\x1b" in data or "\\u001b" in data:
            esc_in_data += 1
    system = json.dumps(r["body"].get("system"))
    if "IGNORE ALL" in system or "203.0.113" in system:
        data_in_system += 1
facts["first_turns"] = len(first)
facts["fence_ok"] = fence_ok
facts["distinct_nonces"] = len(nonces)
facts["hostile_inside_fence"] = hostile_inside
facts["marker_in_data"] = marker_in_data
facts["escape_in_data"] = esc_in_data
facts["data_in_system"] = data_in_system
facts["tool_config"] = sum(1 for r in reqs if r.get("body") and
                           len(r["body"].get("toolConfig", {}).get("tools", [])) == 4)

# tool results sent back: status per tool name, over all second turns
status_by_tool = defaultdict(set)
for r in reqs:
    msgs = (r.get("body") or {}).get("messages", [])
    for i, m in enumerate(msgs):
        if m["role"] != "user" or i == 0:
            continue
        asked = {c["toolUse"]["toolUseId"]: c["toolUse"]["name"]
                 for c in msgs[i - 1]["content"] if "toolUse" in c}
        for c in m["content"]:
            if "toolResult" in c:
                tr = c["toolResult"]
                status_by_tool[asked.get(tr["toolUseId"], "?")].add(tr["status"])
for name, sts in status_by_tool.items():
    facts[f"tool_{name}"] = ",".join(sorted(sts))
facts["max_turns"] = max((len(r["body"]["messages"]) for r in reqs if r.get("body")), default=0)

findings = [o for o in out if o.get("class_uid") == 2004]
ua = lambda o: o["unmapped"]["authguard"]
llm = [o for o in findings if ua(o).get("llm_generated")]
fb = [o for o in findings if ua(o).get("summary_error")]
facts["creates"] = sum(1 for o in findings if o["activity_id"] == 1)
facts["llm_updates"] = len(llm)
facts["llm_updates_marked"] = sum(1 for o in llm if o["activity_id"] == 2
                                  and ua(o)["model_summary"]["source"].startswith("bedrock:")
                                  and ua(o)["model_summary"]["trust"].startswith("untrusted")
                                  and "summary_usage" in ua(o) and "summary_latency_ms" in ua(o))
# authguard's own fields stay authguard's: desc is the Create's, word for word, and
# remediation.desc holds the validated commands; the model's text is apart
create_desc = {o["finding_info"]["uid"]: o["finding_info"].get("desc") for o in findings
               if o["activity_id"] == 1}
facts["llm_desc_builtin"] = sum(1 for o in llm if ua(o)["summary_source"] == "local"
                                and o["finding_info"].get("desc")
                                and o["finding_info"]["desc"] == create_desc.get(
                                    o["finding_info"]["uid"]))
facts["llm_text_apart"] = sum(1 for o in llm if ua(o)["model_summary"]["text"]
                              and ua(o)["model_summary"]["text"] not in o["finding_info"]["desc"]
                              and ua(o)["model_summary"]["text"] not in
                              o.get("remediation", {}).get("desc", ""))
facts["llm_keep_remediation"] = sum(1 for o in llm if "create-network-acl-entry" in
                                    o.get("remediation", {}).get("desc", ""))
# hostile answers: nothing the model wrote in authguard's fields, and the model's
# text in its own field without escapes or characters that reorder or hide text
MODEL_MARKS = ("fix.sh", "```", "authguard's own commands", "not written by the model")
facts["model_marks_in_own_fields"] = sum(
    1 for o in llm for m in MODEL_MARKS
    if m in o["finding_info"].get("desc", "") or m in o.get("remediation", {}).get("desc", ""))
facts["model_marks_in_model_field"] = sum(1 for o in llm if "fix.sh" in ua(o)["model_summary"]["text"])
HIDERS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u200c\u200d\u200e\u200f\u2028\u2029\x1b\x07\x9b"
facts["hiders_in_output"] = sum(1 for c in HIDERS if c in raw_out)
facts["hiders_in_model_text"] = sum(1 for o in llm for c in HIDERS
                                    if c in ua(o)["model_summary"]["text"])
facts["curl_in_remediation"] = sum(1 for o in findings
                                   if "curl" in o.get("remediation", {}).get("desc", ""))
facts["llm_tool_rounds_max"] = max((ua(o).get("summary_tool_rounds", 0) for o in llm), default=0)
facts["llm_tokens_in"] = sum(ua(o)["summary_usage"]["input_tokens"] for o in llm)
facts["fallbacks"] = len(fb)
facts["fallbacks_local"] = sum(1 for o in fb if ua(o)["summary_source"] == "local"
                               and not ua(o)["llm_generated"] and o["finding_info"].get("desc"))
errs = Counter(re.sub(r"[^A-Za-z0-9]+", "_", ua(o)["summary_error"])[:60] for o in fb)
facts["fallback_error"] = errs.most_common(1)[0][0] if errs else "-"
facts["escape_in_output"] = int("\x1b" in raw_out or "\\u001b" in raw_out)
# summaries asked per (rule, key): Creates plus engine Updates, not ours
keys = {(ua(o)["rule"], ua(o)["key"]) for o in findings
        if not ua(o).get("llm_generated") and not ua(o).get("summary_error")}
facts["distinct_rule_keys"] = len(keys)
uids = {o["finding_info"]["uid"] for o in findings if o["activity_id"] == 1}
facts["llm_uids_known"] = sum(1 for o in llm if o["finding_info"]["uid"] in uids)

for k, v in facts.items():
    print(k, v)
