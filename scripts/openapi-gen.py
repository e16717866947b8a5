#!/usr/bin/env python3
"""Writes Sources/HTTPAPI/OpenAPIDocument.swift (generated: do not edit it by hand): the OpenAPI 3.1 document
of the HTTP API, kept here as structured data because it is easier to review and change than the JSON. Run it
after changing a route; `--check` fails when the Swift file is not what this script writes (scripts/test)."""
import json
import os
import sys
TWIN_ID = {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,128}$"}
MODEL_ID = {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9:_.-]{0,199};[1-9][0-9]{0,8}$"}
NAME = {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_]{0,63}$"}
def nullable(schema): return dict(schema, type=[schema["type"], "null"])
def ref(n): return {"$ref": "#/components/schemas/%s" % n}
def problem(desc): return {"description": desc, "content": {"application/problem+json": {"schema": ref("Problem")}}}
def js(desc, schema, headers=None):
    r = {"description": desc, "content": {"application/json": {"schema": schema}}}
    if headers: r["headers"] = headers
    return r
def influx_err(desc): return {"description": desc, "content": {"application/json": {"schema": ref("InfluxError")}}}
ETAG = {"ETag": {"description": "The twin's version, for If-Match.", "schema": {"type": "string"}}}
IFMATCH = {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"},
           "description": "An ETag from an earlier read; the change is refused with 412 when the twin changed since."}
TWIN_PATH = {"name": "id", "in": "path", "required": True, "schema": TWIN_ID}
AUTH = {"401": problem("No or wrong credentials.")}
COMMON = {"400": problem("Bad request."), **AUTH}
PAGE = [{"name": "cursor", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 200},
         "description": "The `next` value of the previous page."},
        {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}}]
JSONV = {}
schemas = {
  "Problem": {"type": "object", "required": ["type", "title", "status", "detail", "code"], "properties": {
      "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"},
      "code": {"type": "string"},
      "errors": {"type": "array", "items": {"type": "object", "required": ["path", "message"],
                 "properties": {"path": {"type": "string"}, "message": {"type": "string"}}}}}},
  "Enrollment": {"type": "object", "required": ["tenant", "twin", "certificate", "ca"], "properties": {
      "tenant": {"type": "string"}, "twin": {"type": "string"}, "certificate": {"type": "string"}, "ca": {"type": "string"}}},
  "Device": {"type": "object", "required": ["twin", "tier", "score", "score_reasons", "certificates"], "properties": {
      "twin": {"type": "string"}, "tier": {"type": "string", "enum": ["trusted", "restricted", "quarantined", "blocked"]},
      "score": {"type": "integer", "minimum": 0, "maximum": 100}, "score_reasons": {"type": "array", "items": {"type": "string"}},
      "override": {"type": "string"}, "override_reason": {"type": "string"}, "posture": {"type": "object"},
      "posture_at": {"type": "string"}, "posture_findings": {"type": "array", "items": {"type": "string"}},
      "quoted_pcr_digest": {"type": "string"},
      "certificates": {"type": "array", "items": {"type": "object"}}}},
  "PosturePolicy": {"type": "object", "properties": {
      "minimum_firmware": {"type": ["string", "null"]}, "allowed_firmware_hashes": {"type": ["array", "null"], "items": {"type": "string"}},
      "require_secure_boot": {"type": ["boolean", "null"]}, "forbidden_services": {"type": ["array", "null"], "items": {"type": "string"}},
      "minimum_patch_level": {"type": ["string", "null"]}, "require_tpm_quote": {"type": ["boolean", "null"]},
      "allowed_pcr_digests": {"type": ["array", "null"], "items": {"type": "string"}}}},
  "Policy": {"type": "object", "required": ["id", "description", "appliesTo", "publish", "subscribe"], "properties": {
      "id": {"type": "string"}, "description": {"type": "string"},
      "appliesTo": {"type": "object", "properties": {"role": {"type": "string", "enum": ["device", "viewer", "engineer", "operator", "security-officer", "admin"]},
                                                       "twins": {"type": "array", "items": {"type": "string"}},
                                                       "groups": {"type": "array", "items": {"type": "string"}}}},
      "publish": {"type": "array", "items": {"type": "string"}}, "subscribe": {"type": "array", "items": {"type": "string"}}}},
  "AuditCheckpoint": {"type": "object", "required": ["sequence", "hash", "time", "signature"],
                      "properties": {"sequence": {"type": "integer"}, "hash": {"type": "string"}, "time": {"type": "integer"},
                                     "signature": {"type": "string"}, "index": {"type": "integer"}, "previous": {"type": "string"}}},
  "AuditEntry": {"type": "object", "required": ["sequence", "time", "tenant", "actor", "action", "target", "outcome", "detail", "previousHash", "hash"],
      "properties": {"sequence": {"type": "integer"}, "time": {"type": "integer"}, "tenant": {"type": "string"}, "actor": {"type": "string"},
                     "action": {"type": "string"}, "target": {"type": "string"}, "outcome": {"type": "string"}, "detail": {"type": "string"},
                     "previousHash": {"type": "string"}, "hash": {"type": "string"}}},
  "User": {"type": "object", "required": ["name", "tenant", "role"], "properties": {
      "name": {"type": "string"}, "tenant": {"type": "string"}, "role": {"type": "string"}, "mfa_enrolled": {"type": "boolean"},
      "mfa_required": {"type": "boolean"}, "locked": {"type": "boolean"}, "disabled": {"type": "boolean"},
      "sites": {"type": "array", "items": {"type": "string"}}, "recovery_codes_left": {"type": "integer"}}},
  "Token": {"type": "object", "required": ["id", "kind", "name", "role", "created_at", "expires_at"], "properties": {
      "id": {"type": "string"}, "kind": {"type": "string", "enum": ["api", "session"]}, "name": {"type": "string"}, "role": {"type": "string"},
      "created_at": {"type": "string"}, "expires_at": {"type": "string"}}},
  "InfluxError": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
  "InfluxResults": {"type": "object", "required": ["results"], "properties": {"results": {"type": "array", "items": {
      "type": "object", "required": ["statement_id"], "properties": {
          "statement_id": {"type": "integer"}, "error": {"type": "string"},
          "series": {"type": "array", "items": {"type": "object", "required": ["name", "columns", "values"], "properties": {
              "name": {"type": "string"}, "tags": {"type": "object", "additionalProperties": {"type": "string"}},
              "columns": {"type": "array", "items": {"type": "string"}}, "values": {"type": "array", "items": {"type": "array"}}}}}}}}}},
  "Relationship": {"type": "object", "required": ["name", "target"], "properties": {"name": {"type": "string"}, "target": {"type": "string"}}},
  "Property": {"type": "object", "required": ["value", "version", "updatedAt"], "properties": {
      "value": JSONV, "version": {"type": "integer"}, "updatedAt": {"type": "string", "format": "date-time"}}},
  "Sample": {"type": "object", "required": ["time", "value"], "properties": {"time": {"type": "string", "format": "date-time"}, "value": JSONV}},
  "Twin": {"type": "object", "required": ["id", "tags", "reported", "desired", "delta", "relationships", "version", "etag", "createdAt",
                                          "updatedAt", "presence", "telemetry"], "properties": {
      "id": {"type": "string"}, "model": {"type": "string"}, "tags": {"type": "object", "additionalProperties": {"type": "string"}},
      "reported": {"type": "object", "additionalProperties": ref("Property")},
      "desired": {"type": "object", "additionalProperties": ref("Property")},
      "delta": {"type": "object"}, "relationships": {"type": "array", "items": ref("Relationship")},
      "learnedFields": {"type": "object", "additionalProperties": {"type": "string", "enum": ["double", "integer", "boolean", "string"]}},
      "version": {"type": "integer"}, "etag": {"type": "string"},
      "createdAt": {"type": "string", "format": "date-time"}, "updatedAt": {"type": "string", "format": "date-time"},
      "lastSeen": {"type": "string", "format": "date-time"}, "presence": {"type": "string", "enum": ["online", "offline"]},
      "telemetry": {"type": "object", "additionalProperties": ref("Sample")}}},
  "TwinPage": {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": ref("Twin")}, "next": {"type": "string"}}},
  "TwinDraft": {"type": "object", "required": ["id"], "description": "Members that are null or left out take their defaults.",
      "properties": {
      "id": TWIN_ID, "model": nullable(MODEL_ID), "tags": {"type": ["object", "null"], "additionalProperties": {"type": "string"}},
      "relationships": {"type": ["array", "null"], "items": ref("Relationship")}, "desired": {"type": ["object", "null"]}}},
  "TwinPatch": {"type": "object", "description": "Members that are null or left out stay as they are.", "properties": {
      "model": nullable(MODEL_ID), "tags": {"type": ["object", "null"], "additionalProperties": {"type": "string"}},
      "relationships": {"type": ["array", "null"], "items": ref("Relationship")}}},
  "Model": {"type": "object", "required": ["id"], "description": "A DTDL-inspired twin model; the id carries its version.",
      "properties": {
      "id": MODEL_ID, "displayName": {"type": "string"}, "description": {"type": "string"},
      "extends": {"type": "array", "items": MODEL_ID},
      "properties": {"type": "array", "items": {"type": "object", "required": ["name", "schema"], "properties": {
          "name": NAME, "schema": {"type": "string", "enum": ["boolean", "integer", "double", "string", "enum", "object"]},
          "writable": {"type": "boolean"}, "unit": {"type": "string"}, "minimum": {"type": "number"}, "maximum": {"type": "number"},
          "values": {"type": "array", "items": {"type": "string"}}}}},
      "telemetry": {"type": "array", "items": {"type": "object", "required": ["name", "schema"], "properties": {
          "name": NAME, "schema": {"type": "string", "enum": ["boolean", "integer", "double", "string"]}, "unit": {"type": "string"},
          "expectedRange": {"type": "object", "properties": {"min": {"type": "number"}, "max": {"type": "number"}}},
          "anomaly": {"type": "object", "description": "Streaming anomaly detection on the field.", "properties": {
              "enabled": {"type": "boolean"}, "detector": {"type": "string", "enum": ["adaptive", "zscore", "ewma"]},
              "sensitivity": {"type": "number", "minimum": 0.1, "maximum": 10},
              "warmUp": {"type": "integer", "minimum": 10, "maximum": 100000}, "memory": {"type": "number", "minimum": 50, "maximum": 1000000},
              "seasonal": {"type": "boolean"}, "threshold": {"type": "number", "minimum": 0, "maximum": 1}}},
          "alerts": {"type": "array", "items": ref("AlertRule")}}}},
      "stateModel": ref("StateModel"),
      "rul": {"type": "object", "required": ["sensors"], "description": "The telemetry fields that feed a trained remaining-useful-life model.", "properties": {
          "sensors": {"type": "array", "minItems": 1, "items": {"type": "string"}}, "settings": {"type": "array", "minItems": 1, "items": {"type": "string"}},
          "maintenanceBelow": {"type": "number", "minimum": 0}}},
      "commands": {"type": "array", "items": {"type": "object", "required": ["name"], "properties": {
          "name": NAME, "request": {"type": "object"}, "response": {"type": "object"}}}},
      "relationships": {"type": "array", "items": {"type": "object", "required": ["name"], "properties": {
          "name": NAME, "target": MODEL_ID}}}}},
  "AlertRule": {"type": "object", "required": ["name", "kind"], "properties": {
      "name": {"type": "string"}, "kind": {"type": "string", "enum": ["threshold", "rate", "absence"]},
      "above": {"type": "number"}, "below": {"type": "number"}, "seconds": {"type": "number", "exclusiveMinimum": 0},
      "hysteresis": {"type": "number", "minimum": 0}, "severity": {"type": "string", "enum": ["minor", "major", "critical"]}}},
  "StateThreshold": {"type": "object", "required": ["name"], "properties": {
      "name": {"type": "string"}, "above": {"type": "number"}, "below": {"type": "number"}, "failure": {"type": "boolean"}}},
  "StateModel": {"type": "object", "required": ["kind"], "description": "A state model for what-if simulation.", "properties": {
      "kind": {"type": "string", "enum": ["thermal", "wear", "tank", "battery", "queue"]},
      "parameters": {"type": "object", "additionalProperties": {"type": "number"}},
      "inputs": {"type": "object", "additionalProperties": {"type": "number"}},
      "stateField": {"type": "string"}, "inputFields": {"type": "object", "additionalProperties": {"type": "string"}},
      "thresholds": {"type": "array", "items": ref("StateThreshold")}}},
  "Anomaly": {"type": "object", "required": ["field", "value", "score", "kind", "severity", "at"], "properties": {
      "field": {"type": "string"}, "value": {"type": "number"}, "score": {"type": "number", "minimum": 0, "maximum": 1},
      "kind": {"type": "string", "enum": ["spike", "level_shift", "drift", "variance_change", "frozen", "seasonal", "relation"]},
      "severity": {"type": "string", "enum": ["minor", "major", "critical"]}, "at": {"type": "string", "format": "date-time"},
      "expected": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}}},
  "Alert": {"type": "object", "required": ["id", "twin", "field", "rule", "kind", "severity", "status", "active", "message", "occurrences", "firedAt"],
      "properties": {"id": {"type": "string"}, "tenant": {"type": "string"}, "twin": {"type": "string"}, "field": {"type": "string"}, "rule": {"type": "string"},
                     "kind": {"type": "string", "enum": ["threshold", "rate", "absence"]}, "severity": {"type": "string"},
                     "status": {"type": "string", "enum": ["open", "acknowledged", "resolved"]}, "active": {"type": "boolean"},
                     "message": {"type": "string"}, "value": {"type": "number"}, "lastValue": {"type": "number"},
                     "occurrences": {"type": "integer"}, "firedAt": {"type": "string", "format": "date-time"},
                     "clearedAt": {"type": "string", "format": "date-time"}, "acknowledgedAt": {"type": "string", "format": "date-time"},
                     "acknowledgedBy": {"type": "string"}, "resolvedAt": {"type": "string", "format": "date-time"},
                     "resolvedBy": {"type": "string"}, "note": {"type": "string"}}},
  "Webhook": {"type": "object", "required": ["id", "tenant", "url", "events", "createdAt"], "properties": {
      "id": {"type": "string"}, "tenant": {"type": "string"}, "url": {"type": "string"}, "events": {"type": "array", "items": {"type": "string"}},
      "createdAt": {"type": "string", "format": "date-time"},
      "secret": {"type": "string", "description": "The HMAC-SHA256 signing secret; returned only when the webhook is created."}}},
  "SimulationRequest": {"type": "object", "required": ["horizon"], "properties": {
      "horizon": {"type": "number", "exclusiveMinimum": 0, "description": "Seconds to simulate."},
      "step": {"type": "number", "exclusiveMinimum": 0, "description": "Seconds per step (default 60)."},
      "inputs": {"type": "object", "additionalProperties": {"type": "number"}},
      "schedule": {"type": "array", "items": {"type": "object", "required": ["at", "inputs"], "properties": {
          "at": {"type": "number"}, "inputs": {"type": "object", "additionalProperties": {"type": "number"}}}}},
      "noise": {"type": "object", "additionalProperties": {"type": "number", "minimum": 0}}, "stochastic": {"type": "boolean"},
      "seed": {"type": "integer", "minimum": 0}, "parameters": {"type": "object", "additionalProperties": {"type": "number"}},
      "initial": {"type": "number"}, "thresholds": {"type": "array", "items": ref("StateThreshold")},
      "points": {"type": "integer", "minimum": 2, "maximum": 10000}}},
  "SimulationResult": {"type": "object", "required": ["kind", "variable", "start", "step", "steps", "initial", "final", "times", "values", "crossings"],
      "properties": {"kind": {"type": "string"}, "variable": {"type": "string"}, "start": {"type": "string", "format": "date-time"},
                     "step": {"type": "number"}, "steps": {"type": "integer"}, "initial": {"type": "number"}, "final": {"type": "number"},
                     "minimum": {"type": "number"}, "maximum": {"type": "number"},
                     "parameters": {"type": "object", "additionalProperties": {"type": "number"}},
                     "inputs": {"type": "object", "additionalProperties": {"type": "number"}},
                     "times": {"type": "array", "items": {"type": "number"}}, "values": {"type": "array", "items": {"type": "number"}},
                     "crossings": {"type": "array", "items": {"type": "object", "required": ["name", "after", "time", "value", "failure"], "properties": {
                         "name": {"type": "string"}, "after": {"type": "number"}, "time": {"type": "string", "format": "date-time"},
                         "value": {"type": "number"}, "failure": {"type": "boolean"}}}},
                     "timeToFailure": {"type": "number"}}},
  "CalibrationFit": {"type": "object", "required": ["kind", "parameters", "unchanged", "samples", "rmse", "rSquared"], "properties": {
      "kind": {"type": "string"}, "parameters": {"type": "object", "additionalProperties": {"type": "number"}},
      "unchanged": {"type": "array", "items": {"type": "string"}}, "samples": {"type": "integer"}, "rmse": {"type": "number"},
      "rSquared": {"type": "number"}}},
  "RULModelMetadata": {"type": "object", "required": ["formatVersion", "trainedAt", "source", "units", "cycles", "validationRMSE", "trees", "cap", "features"],
      "properties": {"formatVersion": {"type": "integer"}, "trainedAt": {"type": "string"}, "source": {"type": "string"}, "units": {"type": "integer"},
                     "cycles": {"type": "integer"}, "validationUnits": {"type": "integer"}, "validationRMSE": {"type": "number"},
                     "trees": {"type": "integer"}, "ensemble": {"type": "integer"}, "cap": {"type": "number"}, "regimes": {"type": "integer"},
                     "features": {"type": "array", "items": {"type": "string"}}, "sensorColumns": {"type": "integer"}}},
  "RULEstimate": {"type": "object", "required": ["rul", "low", "high", "cycles", "at", "model"], "properties": {
      "rul": {"type": "number"}, "low": {"type": "number"}, "high": {"type": "number"}, "cycles": {"type": "integer"},
      "at": {"type": "string", "format": "date-time"}, "model": {"type": "string"}, "maintenanceBelow": {"type": "number"}}},
  "ModelPage": {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": ref("Model")}, "next": {"type": "string"}}},
  "TelemetryPoint": {"type": "object", "minProperties": 1,
      "description": "Field name to number, boolean or string; optional ts as integer ns or RFC 3339.",
      "additionalProperties": {"oneOf": [{"type": "number"}, {"type": "boolean"}, {"type": "string"}]}},
  "TelemetrySeries": {"type": "object", "required": ["series"], "properties": {"series": {"type": "array", "items": {
      "type": "object", "required": ["twin", "field", "measurement", "tags", "points"], "properties": {
          "twin": {"type": "string"}, "field": {"type": "string"}, "measurement": {"type": "string"},
          "tags": {"type": "object", "additionalProperties": {"type": "string"}}, "aggregate": {"type": "string"},
          "every": {"type": "string"}, "points": {"type": "array", "items": ref("Sample")}}}}}},
  "Flagged": {"type": "object", "required": ["accepted", "flagged"], "properties": {"accepted": {"type": "integer"},
      "flagged": {"type": "array", "items": {"type": "object", "properties": {"path": {"type": "string"}, "message": {"type": "string"}}}}}},
  "Command": {"type": "object", "required": ["id", "twin", "name", "status", "request", "requestedAt", "requestedBy"], "properties": {
      "id": {"type": "string"}, "twin": {"type": "string"}, "name": {"type": "string"},
      "status": {"type": "string", "enum": ["pending", "completed", "timed_out", "device_offline"]}, "request": JSONV, "response": JSONV,
      "requestedAt": {"type": "string", "format": "date-time"}, "completedAt": {"type": "string", "format": "date-time"},
      "requestedBy": {"type": "string"}}},
  "CommandPage": {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": ref("Command")}}},
  "QueryResult": {"type": "object", "required": ["items", "count"], "properties": {"items": {"type": "array"}, "count": {"type": "integer"}}},
  "Tenant": {"type": "object", "required": ["id", "strict"], "properties": {
      "id": {"type": "string"}, "strict": {"type": "boolean"}, "retention": {"type": "string"},
      "tiers": {"type": "array", "items": ref("Tier")}, "effectiveTiers": {"type": "array", "items": ref("Tier")},
      "devicePasswords": {"type": "boolean"}, "anomalyDetection": {"type": "boolean"}}},
  "Tier": {"type": "object", "required": ["name", "every"], "properties": {
      "name": {"type": "string"}, "every": {"type": "string"}, "retention": {"type": "string"}}},
  "Status": {"type": "object", "required": ["status"], "properties": {"status": {"type": "string"}}},
}
text_body = {"content": {"text/plain": {"schema": {"type": "string"}}}}
ALERT_PATH = {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 64}}
paths = {
 "/api/v1/twins/{id}/anomalies": {"parameters": [TWIN_PATH], "get": {"operationId": "twinAnomalies",
     "summary": "The twin's latest anomalies found by live detection, newest first.",
     "responses": {"200": js("Anomalies.", {"type": "object", "required": ["anomalies"], "properties": {"anomalies": {"type": "array", "items": ref("Anomaly")}}}),
                   "404": problem("No such twin."), **COMMON}}},
 "/api/v1/twins/{id}/simulate": {"parameters": [TWIN_PATH], "post": {"operationId": "simulateTwin",
     "summary": "Run the twin's state model forward from its current state under changed inputs (deterministic with a seed).",
     "requestBody": {"required": True, "content": {"application/json": {"schema": ref("SimulationRequest")}}},
     "responses": {"200": js("Trajectory, threshold crossings and time to failure.", ref("SimulationResult")), "404": problem("No such twin or model."),
                   "413": problem("Body too large."), "422": problem("No state model or no current state."), **COMMON}}},
 "/api/v1/twins/{id}/calibrate": {"parameters": [TWIN_PATH], "post": {"operationId": "calibrateTwin",
     "summary": "Fit the state model's parameters to the twin's recorded history (default: the last 7 days) and report the fit.",
     "requestBody": {"required": False, "content": {"application/json": {"schema": {"type": "object", "properties": {
         "from": {"type": "string", "format": "date-time"}, "to": {"type": "string", "format": "date-time"}}}}}},
     "responses": {"200": js("The fitted parameters.", ref("CalibrationFit")), "404": problem("No such twin or model."),
                   "413": problem("Body too large."), "422": problem("No state model or not enough history."), **COMMON}}},
 "/api/v1/twins/{id}/rul": {"parameters": [TWIN_PATH], "get": {"operationId": "twinRUL",
     "summary": "The twin's remaining useful life in cycles, with an uncertainty band, updated at every cycle.",
     "responses": {"200": js("The estimate (null until there is one, with the reason).", {"type": "object", "required": ["estimate"], "properties": {
                       "estimate": {"oneOf": [ref("RULEstimate"), {"type": "null"}]}, "reason": {"type": "string"}}}),
                   "404": problem("No such twin."), **COMMON}}},
 "/api/v1/models/{id}/rul": {"parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
   "get": {"operationId": "getRULModel", "summary": "The metadata of the model's trained RUL model.",
           "responses": {"200": js("Metadata (null until a model is installed, with the reason).", {"type": "object", "required": ["metadata"], "properties": {
                             "metadata": {"oneOf": [ref("RULModelMetadata"), {"type": "null"}]}, "reason": {"type": "string"}}}),
                         "404": problem("No such model."), **COMMON}},
   "put": {"operationId": "installRULModel", "summary": "Install a trained RUL model (the file `twinguard eval rul --save-model` writes).",
           "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
           "responses": {"200": js("Installed.", ref("RULModelMetadata")), "403": problem("Role may not change models."),
                         "404": problem("No such model."), "413": problem("Body too large."), "422": problem("The model declares no rul binding."), **COMMON}}},
 "/api/v1/models/{id}/rul/train": {"parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                                                  {"name": "cap", "in": "query", "required": False, "schema": {"type": "number", "minimum": 1, "maximum": 100000}},
                                                  {"name": "trees", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 10, "maximum": 5000},
                                                   "description": "At most this many trees per model (default 800; fewer trains faster)."}],
   "post": {"operationId": "trainRULModel", "summary": "Train the model's RUL model from run-to-failure histories (turbofan text format) and install it.",
            "requestBody": {"required": True, "content": {"text/plain": {"schema": {"type": "string"}}}},
            "responses": {"201": js("Trained and installed.", ref("RULModelMetadata")), "403": problem("Role may not change models."),
                          "404": problem("No such model."), "413": problem("Body too large."),
                          "422": problem("No rul binding, or not enough histories."), "429": problem("Another model is being trained."), **COMMON}}},
 "/api/v1/alerts": {"get": {"operationId": "listAlerts", "summary": "Alerts of the tenant, newest first (at most 1000).",
     "parameters": [{"name": "status", "in": "query", "required": False, "schema": {"type": "string", "enum": ["open", "acknowledged", "resolved"]}},
                    {"name": "twin", "in": "query", "required": False, "schema": {"type": "string"}}],
     "responses": {"200": js("Alerts.", {"type": "object", "required": ["alerts"], "properties": {"alerts": {"type": "array", "items": ref("Alert")}}}), **COMMON}}},
 "/api/v1/alerts/{id}": {"parameters": [ALERT_PATH], "get": {"operationId": "getAlert", "summary": "An alert.",
     "responses": {"200": js("The alert.", ref("Alert")), "404": problem("No such alert."), **COMMON}}},
 "/api/v1/alerts/{id}/acknowledge": {"parameters": [ALERT_PATH], "post": {"operationId": "acknowledgeAlert", "summary": "Acknowledge an open alert.",
     "requestBody": {"required": False, "content": {"application/json": {"schema": {"type": "object", "properties": {"note": {"type": "string", "maxLength": 2000}}}}}},
     "responses": {"200": js("The alert.", ref("Alert")), "403": problem("Role may not operate."), "404": problem("No such alert."),
                   "413": problem("Body too large."), **COMMON}}},
 "/api/v1/alerts/{id}/resolve": {"parameters": [ALERT_PATH], "post": {"operationId": "resolveAlert", "summary": "Resolve an alert.",
     "requestBody": {"required": False, "content": {"application/json": {"schema": {"type": "object", "properties": {"note": {"type": "string", "maxLength": 2000}}}}}},
     "responses": {"200": js("The alert.", ref("Alert")), "403": problem("Role may not operate."), "404": problem("No such alert."),
                   "413": problem("Body too large."), **COMMON}}},
 "/api/v1/webhooks": {
   "get": {"operationId": "listWebhooks", "summary": "The tenant's webhook subscriptions (without secrets).",
           "responses": {"200": js("Webhooks.", {"type": "object", "required": ["webhooks"], "properties": {"webhooks": {"type": "array", "items": ref("Webhook")}}}),
                         "403": problem("Administrators only."), **COMMON}},
   "post": {"operationId": "createWebhook", "summary": "Subscribe a URL to events (default: alert changes); the signing secret is shown once.",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object", "required": ["url"], "properties": {
                "url": {"type": "string"}, "events": {"type": "array", "items": {"type": "string"}}}}}}},
            "responses": {"201": js("Created, with its secret.", ref("Webhook")), "403": problem("Administrators only."), "413": problem("Body too large."), **COMMON}}},
 "/api/v1/webhooks/{id}": {"parameters": [ALERT_PATH], "delete": {"operationId": "deleteWebhook", "summary": "Remove a webhook subscription.",
     "responses": {"204": {"description": "Removed."}, "403": problem("Administrators only."), "404": problem("No such webhook."), **COMMON}}},
 "/healthz": {"get": {"operationId": "health", "summary": "Liveness probe.", "security": [], "responses": {"200": js("Alive.", ref("Status"))}}},
 "/openapi.json": {"get": {"operationId": "openapi", "summary": "This OpenAPI 3.1 document.", "security": [], "responses": {
     "200": js("The document.", {"type": "object"})}}},
 "/readyz": {"get": {"operationId": "ready", "summary": "Readiness probe.", "security": [], "responses": {
     "200": js("Ready.", ref("Status")), "503": js("Starting.", ref("Status"))}}},
 "/metrics": {"get": {"operationId": "metrics", "summary": "Prometheus metrics.", "security": [], "responses": {
     "200": {"description": "Prometheus text format 0.0.4.", "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
 "/ping": {"get": {"operationId": "influxPing", "summary": "InfluxDB 1.x ping.", "security": [], "responses": {"204": {"description": "Up."}}}},
 "/write": {"post": {"operationId": "influxWrite", "summary": "InfluxDB 1.x line-protocol write; db is the tenant.",
     "parameters": [{"name": "db", "in": "query", "required": True, "schema": {"type": "string"}},
                    {"name": "precision", "in": "query", "required": False, "schema": {"type": "string", "enum": ["n", "ns", "u", "us", "ms", "s", "m", "h"]}},
                    {"name": "u", "in": "query", "required": False, "schema": {"type": "string"}},
                    {"name": "p", "in": "query", "required": False, "schema": {"type": "string"}}],
     "requestBody": {"required": True, "content": {"text/plain": {"schema": {"type": "string"}}}},
     "responses": {"204": {"description": "Written and durable."}, "400": influx_err("Unparsable lines or type conflicts (partial write)."),
                   "401": influx_err("Credentials missing or wrong."), "403": influx_err("Not the caller's database."),
                   "404": influx_err("No such database."), "413": influx_err("Body too large."), "503": influx_err("Storage unavailable.")}}},
 "/query": {
   "get": {"operationId": "influxQuery", "summary": "InfluxQL (the subset Grafana uses).",
     "parameters": [{"name": "q", "in": "query", "required": True, "schema": {"type": "string", "minLength": 1}},
                    {"name": "db", "in": "query", "required": False, "schema": {"type": "string"}},
                    {"name": "epoch", "in": "query", "required": False, "schema": {"type": "string", "enum": ["ns", "u", "us", "ms", "s", "m", "h"]}}],
     "responses": {"200": js("Results, with per-statement errors.", ref("InfluxResults")), "400": influx_err("Unparsable query."),
                   "401": influx_err("Credentials missing or wrong.")}},
   "post": {"operationId": "influxQueryPost", "summary": "InfluxQL with a form body.",
     "requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {"type": "object", "required": ["q"], "properties": {
         "q": {"type": "string", "minLength": 1}, "db": {"type": "string"}, "epoch": {"type": "string", "enum": ["ns", "u", "us", "ms", "s", "m", "h"]}}}}}},
     "responses": {"200": js("Results, with per-statement errors.", ref("InfluxResults")), "400": influx_err("Unparsable query."),
                   "401": influx_err("Credentials missing or wrong."), "413": problem("Body too large.")}}},
 "/api/v1/models": {
   "get": {"operationId": "listModels", "summary": "List models.", "parameters": PAGE,
           "responses": {"200": js("A page of models.", ref("ModelPage")), **COMMON}},
   "post": {"operationId": "createModel", "summary": "Upload a model (immutable per version).",
            "requestBody": {"required": True, "content": {"application/json": {"schema": ref("Model")}}},
            "responses": {"201": js("Created.", ref("Model")), "200": js("The same model existed already.", ref("Model")),
                          "403": problem("Role may not change models."), "409": problem("Another model has this id."),
                          "413": problem("Body too large."), "422": problem("Invalid model; every issue with its path."), **COMMON}}},
 "/api/v1/models/{id}": {
   "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
   "get": {"operationId": "getModel", "summary": "A model.", "responses": {"200": js("The model.", ref("Model")), "404": problem("No such model."), **COMMON}},
   "delete": {"operationId": "deleteModel", "summary": "Delete an unused model.",
              "responses": {"204": {"description": "Deleted."}, "403": problem("Role may not change models."), "404": problem("No such model."),
                            "409": problem("Still used."), **COMMON}}},
 "/api/v1/twins": {
   "get": {"operationId": "listTwins", "summary": "List twins.", "parameters": PAGE,
           "responses": {"200": js("A page of twins.", ref("TwinPage")), **COMMON}},
   "post": {"operationId": "createTwin", "summary": "Create a twin.",
            "requestBody": {"required": True, "content": {"application/json": {"schema": ref("TwinDraft")}}},
            "responses": {"201": js("Created.", ref("Twin"), {**ETAG, "Location": {"schema": {"type": "string"}}}),
                          "403": problem("Role may not change twins."), "404": problem("Unknown model."), "409": problem("The twin exists."),
                          "413": problem("Body too large."), "422": problem("Invalid id, relationships or desired values."), **COMMON}}},
 "/api/v1/twins/{id}": {
   "parameters": [TWIN_PATH],
   "get": {"operationId": "getTwin", "summary": "A twin with delta, presence and last telemetry.",
           "responses": {"200": js("The twin.", ref("Twin"), ETAG), "404": problem("No such twin."), **COMMON}},
   "patch": {"operationId": "updateTwin", "summary": "Change model, tags or relationships.", "parameters": [IFMATCH],
             "requestBody": {"required": True, "content": {"application/json": {"schema": ref("TwinPatch")}}},
             "responses": {"200": js("Changed.", ref("Twin"), ETAG), "403": problem("Role may not change twins."), "404": problem("No such twin or model."),
                           "412": problem("The twin changed since the ETag."), "413": problem("Body too large."), "422": problem("Invalid relationships."), **COMMON}},
   "delete": {"operationId": "deleteTwin", "summary": "Delete a twin.", "parameters": [IFMATCH],
              "responses": {"204": {"description": "Deleted."}, "403": problem("Role may not change twins."), "404": problem("No such twin."),
                            "412": problem("The twin changed since the ETag."), **COMMON}}},
 "/api/v1/twins/{id}/desired": {"parameters": [TWIN_PATH], "patch": {
     "operationId": "setDesired", "summary": "Set desired properties (null removes one); the delta goes to the device.", "parameters": [IFMATCH],
     "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
     "responses": {"200": js("Changed.", ref("Twin"), ETAG), "403": problem("Role may not change twins."), "404": problem("No such twin."),
                   "412": problem("The twin changed since the ETag."), "413": problem("Body too large."), "422": problem("Not writable or wrong type."), **COMMON}}},
 "/api/v1/twins/{id}/reported": {"parameters": [TWIN_PATH], "patch": {
     "operationId": "report", "summary": "Report properties as the device.",
     "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
     "responses": {"200": js("Recorded.", ref("Twin"), ETAG), "404": problem("No such twin."), "413": problem("Body too large."),
                   "422": problem("Unknown property or wrong type."), **COMMON}}},
 "/api/v1/twins/{id}/telemetry": {"parameters": [TWIN_PATH],
   "post": {"operationId": "writeTelemetry", "summary": "Write telemetry points (one object or an array); acknowledged once durable.",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"oneOf": [ref("TelemetryPoint"), {"type": "array", "minItems": 1, "items": ref("TelemetryPoint")}]}}}},
            "responses": {"204": {"description": "Stored durably."}, "200": js("Stored; some values outside the expected range.", ref("Flagged")),
                          "413": problem("Body too large."), "422": problem("Points refused, each with the reason."),
                          "503": problem("Storage unavailable."), **COMMON}},
   "get": {"operationId": "readTelemetry", "summary": "Read a field raw or aggregated per bucket.",
           "parameters": [{"name": "field", "in": "query", "required": True, "schema": {"type": "string", "minLength": 1}},
                          {"name": "from", "in": "query", "required": False, "schema": {"type": "string"}, "description": "RFC 3339 or integer ns."},
                          {"name": "to", "in": "query", "required": False, "schema": {"type": "string"}},
                          {"name": "every", "in": "query", "required": False, "schema": {"type": "string", "pattern": "^[1-9][0-9]{0,8}(ns|us|ms|s|m|h|d)$"}},
                          {"name": "agg", "in": "query", "required": False, "schema": {"type": "string", "pattern": "^(count|min|max|mean|sum|first|last|stddev|spread|median|p[0-9]{1,2})$"}},
                          {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": 100000}},
                          {"name": "tier", "in": "query", "required": False, "schema": {"type": "string"},
                           "description": "Read a downsampling tier (fields: mean as the name, _min, _max, _count)."}],
           "responses": {"200": js("The series of the twin that have the field.", ref("TelemetrySeries")), "404": problem("No such twin or field."), **COMMON}}},
 "/api/v1/twins/{id}/commands": {"parameters": [TWIN_PATH], "get": {
     "operationId": "listCommands", "summary": "Recorded commands, newest first.",
     "parameters": [{"name": "limit", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}],
     "responses": {"200": js("Commands.", ref("CommandPage")), "404": problem("No such twin."), **COMMON}}},
 "/api/v1/twins/{id}/commands/{name}": {"parameters": [TWIN_PATH, {"name": "name", "in": "path", "required": True, "schema": NAME}], "post": {
     "operationId": "sendCommand", "summary": "Send a command over MQTT 5 request/response and wait for the answer.",
     "parameters": [{"name": "timeout", "in": "query", "required": False, "schema": {"type": "string", "pattern": "^([1-9][0-9]{0,3}ms|[1-9]s|[12][0-9]s|30s)$"}}],
     "requestBody": {"required": False, "content": {"application/json": {"schema": {}}}},
     "responses": {"200": js("The device answered.", ref("Command")), "403": problem("Role may not send commands."),
                   "404": problem("No such twin or command."), "409": problem("The device is not connected; nothing was sent."),
                   "413": problem("Body too large."), "422": problem("Request does not fit the command."),
                   "504": problem("The device did not answer in time."), **COMMON}}},
 "/api/v1/tenant": {
   "get": {"operationId": "getTenant", "summary": "The caller's tenant settings.", "responses": {"200": js("Settings.", ref("Tenant")), "404": problem("No such tenant."), **COMMON}},
   "patch": {"operationId": "updateTenant", "summary": "Change strict mode, raw retention and downsampling tiers (administrators).",
             "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object", "properties": {
                 "strict": {"type": ["boolean", "null"]}, "devicePasswords": {"type": ["boolean", "null"]}, "anomalyDetection": {"type": ["boolean", "null"]},
                 "retention": {"type": ["string", "null"], "pattern": "^([1-9][0-9]{0,5}[smhdw]|forever)$"},
                 "tiers": {"type": ["array", "null"], "items": {"type": "string", "pattern": "^[1-9][0-9]{0,5}[smhdw](:([1-9][0-9]{0,5}[smhdw]|forever))?$"}}}}}}},
             "responses": {"200": js("Changed.", ref("Tenant")), "403": problem("Administrators only."), "404": problem("No such tenant."),
                           "413": problem("Body too large."), "422": problem("Invalid duration or tiers."), **COMMON}}},
 "/api/v1/query": {
   "get": {"operationId": "queryTwins", "summary": "Twin query language (docs/twins.md).",
           "parameters": [{"name": "q", "in": "query", "required": True, "schema": {"type": "string", "minLength": 1}}],
           "responses": {"200": js("Rows.", ref("QueryResult")), **COMMON}},
   "post": {"operationId": "queryTwinsPost", "summary": "Twin query language in a JSON body.",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object", "required": ["query"], "properties": {"query": {"type": "string", "minLength": 1}}}}}},
            "responses": {"200": js("Rows.", ref("QueryResult")), "413": problem("Body too large."), **COMMON}}},
 "/api/v1/twins/{id}/stream": {"parameters": [TWIN_PATH], "get": {
     "operationId": "streamTwin", "summary": "Server-Sent Events of one twin (kinds filter: telemetry, reported, desired, presence, twin).",
     "parameters": [{"name": "kinds", "in": "query", "required": False, "schema": {"type": "string"}}],
     "responses": {"200": {"description": "An endless text/event-stream.", "content": {"text/event-stream": {"schema": {"type": "string"}}}},
                   "404": problem("No such twin."), **COMMON}}},
 "/api/v1/twins/{id}/ws": {"parameters": [TWIN_PATH], "get": {
     "operationId": "socketTwin", "summary": "WebSocket of one twin's events (text frames of JSON; same filters as the SSE stream).",
     "parameters": [{"name": "kinds", "in": "query", "required": False, "schema": {"type": "string"}}],
     "responses": {"101": {"description": "Switching to WebSocket."}, "400": {"description": "Not upgraded: unknown twin or no valid credentials."}}}},
 "/api/v1/events/ws": {"get": {
     "operationId": "socketEvents", "summary": "WebSocket of the tenant's events.",
     "parameters": [{"name": "kinds", "in": "query", "required": False, "schema": {"type": "string"}},
                    {"name": "twin", "in": "query", "required": False, "schema": {"type": "string"}}],
     "responses": {"101": {"description": "Switching to WebSocket."}, "400": {"description": "Not upgraded: no valid credentials."}}}},
 "/api/v1/events/stream": {"get": {
     "operationId": "streamEvents", "summary": "Server-Sent Events of the tenant's twins.",
     "parameters": [{"name": "kinds", "in": "query", "required": False, "schema": {"type": "string"}},
                    {"name": "twin", "in": "query", "required": False, "schema": {"type": "string"}}],
     "responses": {"200": {"description": "An endless text/event-stream.", "content": {"text/event-stream": {"schema": {"type": "string"}}}}, **COMMON}}},
 "/pki/ca.crt": {"get": {"operationId": "caCertificate", "summary": "The device CA certificate (PEM); devices check it against the fingerprint in their enrollment token.",
     "security": [{}], "responses": {"200": {"description": "PEM.", "content": {"application/x-pem-file": {"schema": {"type": "string"}}}}}}},
 "/pki/crl": {"get": {"operationId": "revocationList", "summary": "The certificate revocation list (DER, RFC 5280).",
     "security": [{}], "responses": {"200": {"description": "DER.", "content": {"application/pkix-crl": {"schema": {"type": "string"}}}}}}},
 "/api/v1/enroll": {"post": {"operationId": "enroll", "summary": "Exchange a one-time enrollment token and a CSR for a device certificate.",
     "security": [{}],
     "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object", "required": ["token", "csr"], "properties": {
         "token": {"type": "string"}, "csr": {"type": "string", "description": "PEM certificate signing request (ECDSA P-256)."}}}}}},
     "responses": {"201": js("Issued.", ref("Enrollment")), "400": problem("Malformed token, CSR or body."),
                   "403": problem("Unknown, used or expired token."), "413": problem("Body too large."), "422": problem("Wrong types.")}}},
 "/api/v1/attestation/nonce": {"post": {"operationId": "attestationNonce",
     "summary": "A fresh nonce (5 minutes, once) for the calling device's next TPM quote (HTTPS with its client certificate).",
     "responses": {"201": js("The nonce.", {"type": "object", "required": ["nonce", "expires_at"], "properties": {
         "nonce": {"type": "string"}, "expires_at": {"type": "string"}}}), "403": problem("Not a device."), **COMMON}}},
 "/api/v1/enroll/renew": {"post": {"operationId": "renew", "summary": "A fresh certificate for a device that presents its current one (HTTPS client certificate).",
     "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object", "required": ["csr"], "properties": {"csr": {"type": "string"}}}}}},
     "responses": {"201": js("Issued.", ref("Enrollment")), "403": problem("Not a device with a current certificate."),
                   "413": problem("Body too large."), "422": problem("Wrong types."), **COMMON}}},
 "/api/v1/enrollment-tokens": {"post": {"operationId": "createEnrollmentToken", "summary": "A one-time enrollment token for a twin (created if missing).",
     "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object", "required": ["twin"], "properties": {
         "twin": TWIN_ID, "model": nullable(MODEL_ID), "ttl": {"type": ["string", "null"], "pattern": "^[1-9][0-9]{0,5}[smhd]$"},
         "tenant": {"type": ["string", "null"]}}}}}},
     "responses": {"201": js("The token, shown once.", {"type": "object", "required": ["token", "twin", "expires_at", "ca_fingerprint"], "properties": {
         "token": {"type": "string"}, "twin": {"type": "string"}, "expires_at": {"type": "string"}, "ca_fingerprint": {"type": "string"}}}),
                   "403": problem("Role may not manage devices."), "404": problem("Unknown model."), "409": problem("Conflict."),
                   "413": problem("Body too large."), "422": problem("Invalid twin, model or ttl."), **COMMON}}},
 "/api/v1/devices": {"get": {"operationId": "listDevices", "summary": "Enrolled devices with trust score, tier, posture and certificates.",
     "responses": {"200": js("Devices.", {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": ref("Device")}}}),
                   "403": problem("Role may not manage devices."), **COMMON}}},
 "/api/v1/devices/{id}": {"parameters": [TWIN_PATH], "get": {"operationId": "getDevice", "summary": "A device's trust score, tier, posture and certificates.",
     "responses": {"200": js("The device.", ref("Device")), "403": problem("Role may not manage devices."), "422": problem("Invalid twin id."), **COMMON}}},
 "/api/v1/devices/{id}/revoke": {"parameters": [TWIN_PATH], "post": {"operationId": "revokeDevice",
     "summary": "Revoke every certificate of the twin's device and close its live connections.",
     "requestBody": {"required": False, "content": {"application/json": {"schema": {"type": "object", "properties": {"reason": {"type": ["string", "null"]}}}}}},
     "responses": {"200": js("Revoked.", {"type": "object", "required": ["revokedCertificates", "closedConnections"], "properties": {
         "revokedCertificates": {"type": "array", "items": {"type": "string"}}, "closedConnections": {"type": "integer"}}}),
                   "403": problem("Role may not manage devices."), "413": problem("Body too large."), "422": problem("Wrong types."), **COMMON}}},
 "/api/v1/devices/{id}/password": {"parameters": [TWIN_PATH], "post": {"operationId": "createDevicePassword",
     "summary": "A generated password for a device that cannot hold a certificate (only where the tenant allows device passwords).",
     "responses": {"201": js("The MQTT user name and password, shown once.", {"type": "object", "required": ["username", "password"], "properties": {
         "username": {"type": "string"}, "password": {"type": "string"}}}),
                   "403": problem("Role may not manage devices, or the tenant does not allow device passwords."), "422": problem("Invalid twin id."), **COMMON}}},
 "/api/v1/devices/{id}/tier": {"parameters": [TWIN_PATH], "put": {"operationId": "setDeviceTier",
     "summary": "Override a device's trust tier with a reason (null clears the override).",
     "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object", "required": ["reason"], "properties": {
         "tier": {"type": ["string", "null"], "enum": ["trusted", "restricted", "quarantined", "blocked", None]}, "reason": {"type": "string"}}}}}},
     "responses": {"200": js("The device.", ref("Device")), "403": problem("Role may not manage devices."), "413": problem("Body too large."),
                   "422": problem("No reason or wrong types."), **COMMON}}},
 "/api/v1/posture-policy": {
   "get": {"operationId": "getPosturePolicy", "summary": "What the tenant requires of device posture.",
           "responses": {"200": js("The policy.", ref("PosturePolicy")), "403": problem("Role may not manage devices."), **COMMON}},
   "put": {"operationId": "setPosturePolicy", "summary": "Replace the posture policy; every device's last report is checked again.",
           "requestBody": {"required": True, "content": {"application/json": {"schema": ref("PosturePolicy")}}},
           "responses": {"200": js("The policy.", ref("PosturePolicy")), "403": problem("Role may not manage devices."), "413": problem("Body too large."),
                         "422": problem("Wrong types."), **COMMON}}},
 "/api/v1/policies": {
   "get": {"operationId": "listPolicies", "summary": "Topic policy documents (the built-in device policy first).",
           "responses": {"200": js("Policies.", {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": ref("Policy")}}}),
                         "403": problem("Role may not manage devices."), **COMMON}},
   "put": {"operationId": "setPolicies", "summary": "Replace the tenant's policy documents.",
           "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object", "required": ["items"], "properties": {
               "items": {"type": "array", "items": ref("Policy")}}}}}},
           "responses": {"200": js("Policies.", {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": ref("Policy")}}}),
                         "403": problem("Role may not manage devices."), "413": problem("Body too large."), "422": problem("Invalid policy."), **COMMON}}},
 "/api/v1/audit": {"get": {"operationId": "listAudit", "summary": "Audit entries after a sequence number, oldest first.",
     "parameters": [{"name": "after", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 0}},
                    {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}],
     "responses": {"200": js("Entries; next is the after of the following page, absent on the last.", {"type": "object", "required": ["entries"], "properties": {
         "entries": {"type": "array", "items": ref("AuditEntry")}, "next": {"type": "string"}}}),
                   "403": problem("Role may not read the audit log."), "422": problem("Invalid after or limit."), **COMMON}}},
 "/api/v1/audit/verify": {"get": {"operationId": "verifyAudit", "summary": "Verify the hash chain and signed checkpoints (a tenant learns only whether it is intact).",
     "responses": {"200": js("The finding.", {"type": "object", "required": ["intact", "finding"], "properties": {
         "intact": {"type": "string", "enum": ["true", "false"]}, "finding": {"type": "string"}}}),
                   "403": problem("Role may not read the audit log."), **COMMON}},
   "post": {"operationId": "verifyAuditAgainstAnchor", "summary": "Verify the chain and that it still contains an exported checkpoint (local administrator only).",
     "requestBody": {"required": True, "content": {"application/json": {"schema": ref("AuditCheckpoint")}}},
     "responses": {"200": js("The finding.", {"type": "object", "required": ["intact", "finding"], "properties": {
         "intact": {"type": "string", "enum": ["true", "false"]}, "finding": {"type": "string"}}}),
                   "403": problem("Only the local administrator."), "413": problem("Body too large."), **COMMON}}},
 "/api/v1/audit/checkpoint": {"get": {"operationId": "latestAuditCheckpoint", "summary": "The newest signed checkpoint of the audit chain, to keep elsewhere (local administrator only).",
     "responses": {"200": js("The checkpoint.", ref("AuditCheckpoint")), "403": problem("Only the local administrator."),
                   "404": problem("The audit log is empty."), **COMMON}}},
 "/api/v1/setup": {"post": {"operationId": "setupFirstAdmin", "summary": "Create the first administrator with the one-time setup token printed at start.",
     "security": [{}],
     "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object", "required": ["token", "name", "password"], "properties": {
         "token": {"type": "string"}, "name": {"type": "string"}, "password": {"type": "string"}}}}}},
     "responses": {"201": js("Created.", ref("User")), "400": problem("Bad request."), "403": problem("Wrong, used or expired token."),
                   "413": problem("Body too large."), "422": problem("Weak password or invalid name.")}}},
 "/api/v1/login": {"post": {"operationId": "login", "summary": "Log in: a session token, also set as an HttpOnly cookie with a CSRF token.",
     "security": [{}],
     "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object", "required": ["name", "password"], "properties": {
         "name": {"type": "string"}, "password": {"type": "string"}, "totp": {"type": ["string", "null"]}}}}}},
     "responses": {"200": js("Logged in.", {"type": "object", "required": ["token", "csrf", "expires_at", "mfa_pending"], "properties": {
         "token": {"type": "string"}, "csrf": {"type": "string"}, "expires_at": {"type": "string"}, "mfa_pending": {"type": "boolean"}}}),
                   "400": problem("Bad request."), "401": problem("Wrong name, password or code."), "413": problem("Body too large."),
                   "422": problem("Wrong types."), "429": problem("Account locked after repeated failures.")}}},
 "/api/v1/logout": {"post": {"operationId": "logout", "summary": "End the session.", "responses": {"204": {"description": "Ended."}, **COMMON}}},
 "/api/v1/me": {"get": {"operationId": "me", "summary": "The caller.", "responses": {"200": js("The caller.", {"type": "object"}), **COMMON}}},
 "/api/v1/me/totp": {"post": {"operationId": "beginTOTP", "summary": "Start TOTP enrolment: a secret and an otpauth:// URL for authenticator apps.",
     "responses": {"200": js("The secret.", {"type": "object", "required": ["secret", "otpauth_url"], "properties": {
         "secret": {"type": "string"}, "otpauth_url": {"type": "string"}}}), "403": problem("Not a user."), **COMMON}}},
 "/api/v1/me/totp/confirm": {"post": {"operationId": "confirmTOTP", "summary": "Confirm TOTP enrolment with a current code.",
     "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object", "required": ["code"], "properties": {"code": {"type": "string"}}}}}},
     "responses": {"200": js("Enrolled; the recovery codes are shown this once.", {"type": "object", "required": ["mfa_enrolled", "recovery_codes"], "properties": {
         "mfa_enrolled": {"type": "boolean"}, "recovery_codes": {"type": "array", "items": {"type": "string"}}}}),
                   "409": problem("No enrolment started."), "413": problem("Body too large."),
                   "422": problem("Wrong code."), **COMMON}}},
 "/api/v1/me/password": {"post": {"operationId": "changeOwnPassword", "summary": "Change the caller's password (other sessions and tokens end).",
     "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object", "required": ["current", "password"], "properties": {
         "current": {"type": "string"}, "password": {"type": "string"}}}}}},
     "responses": {"204": {"description": "Changed."}, "403": problem("Wrong current password."), "404": problem("Not a user."),
                   "413": problem("Body too large."), "422": problem("Weak password."), **COMMON}}},
 "/api/v1/me/recovery-codes": {"post": {"operationId": "makeRecoveryCodes", "summary": "New one-time recovery codes (the old ones stop working).",
     "responses": {"200": js("The codes, shown once.", {"type": "object", "required": ["recovery_codes"], "properties": {
         "recovery_codes": {"type": "array", "items": {"type": "string"}}}}), "404": problem("No second factor enrolled."), **COMMON}}},
 "/api/v1/tokens": {"get": {"operationId": "listOwnTokens", "summary": "The caller's API tokens and sessions.",
     "responses": {"200": js("Tokens.", {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": ref("Token")}}}), **COMMON}},
   "post": {"operationId": "createAPIToken", "summary": "An API token for the caller, with a role no higher than theirs.",
     "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object", "required": ["name"], "properties": {
         "name": {"type": "string"}, "ttl": {"type": ["string", "null"], "pattern": "^[1-9][0-9]{0,5}[smhd]$"},
         "role": {"type": ["string", "null"], "enum": ["viewer", "engineer", "operator", "security-officer", "admin", None]}}}}}},
     "responses": {"201": js("The token, shown once.", {"type": "object", "required": ["token", "id", "role", "expires_at"], "properties": {
         "token": {"type": "string"}, "id": {"type": "string"}, "role": {"type": "string"}, "expires_at": {"type": "string"}}}),
                   "403": problem("Not a user, or a role higher than the caller's."), "413": problem("Body too large."),
                   "422": problem("Wrong types or ttl."), **COMMON}}},
 "/api/v1/tokens/{id}": {"parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}], "delete": {
     "operationId": "revokeAPIToken", "summary": "Revoke one of the caller's tokens.",
     "responses": {"204": {"description": "Revoked."}, "404": problem("No such token of the caller."), **COMMON}}},
 "/api/v1/users": {
   "get": {"operationId": "listUsers", "summary": "Users of the tenant.", "responses": {"200": js("Users.", {"type": "object", "required": ["items"], "properties": {
       "items": {"type": "array", "items": ref("User")}}}), "403": problem("Administrators only."), **COMMON}},
   "post": {"operationId": "createUser", "summary": "Add a user (password: 12+ characters, not a common one).",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object", "required": ["name", "role", "password"], "properties": {
                "name": {"type": "string"}, "role": {"type": "string", "enum": ["viewer", "engineer", "operator", "security-officer", "admin"]},
                "password": {"type": "string"}, "tenant": {"type": ["string", "null"]},
                "sites": {"type": ["array", "null"], "items": {"type": "string"}}}}}}},
            "responses": {"201": js("Created.", ref("User")), "403": problem("Administrators only."), "409": problem("The user exists."),
                          "413": problem("Body too large."), "422": problem("Weak password or invalid name."), **COMMON}}},
 "/api/v1/users/{name}": {"parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
   "patch": {"operationId": "changeUser", "summary": "Change a user's role, sites or whether it is disabled (rights taken away end its sessions and tokens).",
             "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object", "properties": {
                 "role": {"type": "string", "enum": ["viewer", "engineer", "operator", "security-officer", "admin"]}, "disabled": {"type": "boolean"},
                 "sites": {"type": ["array", "null"], "items": {"type": "string"}}}}}}},
             "responses": {"200": js("Changed.", ref("User")), "403": problem("Administrators only."), "404": problem("No such user in the tenant."),
                           "409": problem("Not on yourself."), "413": problem("Body too large."), "422": problem("Invalid role or sites."), **COMMON}},
   "delete": {"operationId": "deleteUser", "summary": "Delete a user, its sessions and tokens.",
              "responses": {"204": {"description": "Deleted."}, "403": problem("Administrators only."), "404": problem("No such user in the tenant."),
                            "409": problem("Not on yourself."), **COMMON}}},
 "/api/v1/users/{name}/password": {"parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
   "post": {"operationId": "resetUserPassword", "summary": "Give a user a new password (its sessions and tokens end).",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object", "required": ["password"], "properties": {
                "password": {"type": "string"}}}}}},
            "responses": {"204": {"description": "Reset."}, "403": problem("Administrators only."), "404": problem("No such user in the tenant."),
                          "413": problem("Body too large."), "422": problem("Weak password."), **COMMON}}},
 "/api/v1/users/{name}/totp": {"parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
   "delete": {"operationId": "resetUserTOTP", "summary": "Remove a user's second factor and recovery codes (a lost phone).",
              "responses": {"204": {"description": "Reset."}, "403": problem("Administrators only."), "404": problem("No such user in the tenant."), **COMMON}}},
 "/api/v1/users/{name}/tokens": {"parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
   "get": {"operationId": "listUserTokens", "summary": "A user's API tokens and sessions.",
           "responses": {"200": js("Tokens.", {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": ref("Token")}}}),
                         "403": problem("Administrators only."), "404": problem("No such user in the tenant."), **COMMON}}},
}
doc = {"openapi": "3.1.0",
       "info": {"title": "TwinGuard API", "version": "0.2.0",
                "description": "Digital twins, telemetry, device identity, users and audit, and the InfluxDB 1.x compatible endpoints of TwinGuard. Errors are RFC 9457 problem details (application/problem+json) except on /write and /query, which answer in InfluxDB's shape."},
       "servers": [{"url": "/"}],
       "security": [{"basic": []}, {"bearer": []}, {}],
       "components": {"securitySchemes": {"basic": {"type": "http", "scheme": "basic"}, "bearer": {"type": "http", "scheme": "bearer"}},
                      "schemas": schemas},
       "paths": paths}
def compact(v): return json.dumps(v, separators=(",", ":"))
lines = ["{", ' "openapi": "3.1.0",', ' "info": ' + compact(doc["info"]) + ",", ' "servers": ' + compact(doc["servers"]) + ",",
         ' "security": ' + compact(doc["security"]) + ",", ' "components": {', '  "securitySchemes": ' + compact(doc["components"]["securitySchemes"]) + ",",
         '  "schemas": {']
items = list(schemas.items())
for i, (k, v) in enumerate(items):
    lines.append('   ' + json.dumps(k) + ': ' + compact(v) + ("," if i < len(items) - 1 else ""))
lines += ['  }', ' },', ' "paths": {']
items = list(paths.items())
for i, (k, v) in enumerate(items):
    lines.append('  ' + json.dumps(k) + ': ' + compact(v) + ("," if i < len(items) - 1 else ""))
lines += [' }', '}']
text = "\n".join(lines)
json.loads(text)
swift = '''// Generated by scripts/openapi-gen.py: change that script and run it, do not edit this file.

/// The OpenAPI 3.1 document served at `/openapi.json`, describing every route of ``HTTPAPIServer``.
///
/// Kept in one place with the routes it describes; `scripts/test` runs schemathesis against the running
/// server with it, so a route that drifts from this document fails the build.
enum OpenAPIDocument {
    static let json = #"""
''' + text + '''
"""#
}
'''
target = os.path.join(os.path.dirname(__file__), "..", "Sources", "HTTPAPI", "OpenAPIDocument.swift")
if "--check" in sys.argv[1:]:
    with open(target) as f:
        current = f.read()
    if current != swift:
        sys.exit("Sources/HTTPAPI/OpenAPIDocument.swift is not what scripts/openapi-gen.py writes: run scripts/openapi-gen.py")
    print("OpenAPI document is current")
else:
    with open(target, "w") as f:
        f.write(swift)
