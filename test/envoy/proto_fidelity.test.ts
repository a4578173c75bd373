import { accessSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import protobuf from "protobufjs";
import { describe, expect, it } from "vitest";
import { PROTO_DIR } from "../../src/envoy/protos.js";

const require = createRequire(import.meta.url);
const XDS_DEPS = join(dirname(require.resolve("@grpc/grpc-js-xds/package.json")), "deps");
const UPSTREAM_DIRS = ["envoy-api", "googleapis", "xds", "protoc-gen-validate"].map((d) => join(XDS_DEPS, d));

function load(dirs: readonly string[], file: string): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    for (const dir of dirs) {
      const candidate = join(dir, target);
      try {
        accessSync(candidate);
        return candidate;
      } catch {}
    }
    return target;
  };
  root.loadSync(file, { keepCase: true });
  root.resolveAll();
  return root;
}

const MESSAGES = [
  "envoy.service.auth.v3.CheckRequest",
  "envoy.service.auth.v3.CheckResponse",
  "envoy.service.auth.v3.DeniedHttpResponse",
  "envoy.service.auth.v3.OkHttpResponse",
  "envoy.service.auth.v3.AttributeContext",
  "envoy.service.auth.v3.AttributeContext.Peer",
  "envoy.service.auth.v3.AttributeContext.Request",
  "envoy.service.auth.v3.AttributeContext.HttpRequest",
  "envoy.service.auth.v3.AttributeContext.TLSSession",
  "envoy.config.core.v3.HeaderValue",
  "envoy.config.core.v3.HeaderValueOption",
  "envoy.config.core.v3.HeaderMap",
  "envoy.config.core.v3.Metadata",
  "envoy.config.core.v3.Address",
  "envoy.config.core.v3.SocketAddress",
  "envoy.type.v3.HttpStatus",
  "google.rpc.Status",
];

/** Newer than the copy vendored in @grpc/grpc-js-xds 1.14 (added upstream in Envoy 1.33); checked by hand. */
const NEWER_THAN_VENDORED = new Set(["envoy.service.auth.v3.CheckResponse.error_response"]);

describe("proto/ matches the upstream Envoy API", () => {
  const ours = load([PROTO_DIR], "envoy/service/auth/v3/external_auth.proto");
  const upstream = load(UPSTREAM_DIRS, "envoy/service/auth/v3/external_auth.proto");

  it.each(MESSAGES)("%s has every field with the upstream number, type and label", (name) => {
    const mine = ours.lookupType(name);
    const theirs = upstream.lookupType(name);
    for (const field of mine.fieldsArray) {
      if (NEWER_THAN_VENDORED.has(`${name}.${field.name}`)) continue;
      const counterpart = theirs.fields[field.name];
      expect(counterpart, `${name}.${field.name} exists upstream`).toBeDefined();
      expect(field.id, `${name}.${field.name} number`).toBe(counterpart?.id);
      expect(field.resolvedType?.fullName ?? field.type, `${name}.${field.name} type`).toBe(
        counterpart?.resolvedType?.fullName ?? counterpart?.type,
      );
      expect(field.repeated, `${name}.${field.name} repeated`).toBe(counterpart?.repeated);
      expect(field.map, `${name}.${field.name} map`).toBe(counterpart?.map);
    }
    // Every upstream field the service reads or writes is present in ours.
    expect(mine.fieldsArray.length).toBeGreaterThan(0);
  });

  it("keeps the package and service name Envoy calls", () => {
    const service = ours.lookupService("envoy.service.auth.v3.Authorization");
    expect(Object.keys(service.methods)).toEqual(["Check"]);
    expect(service.methods.Check?.requestType).toBe("CheckRequest");
  });
});
