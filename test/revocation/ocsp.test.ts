import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RevocationFailureCode } from "../../src/revocation/failure.js";
import {
  buildOcspRequest,
  type CertIdHash,
  type OcspAnswer,
  verifyOcspResponse,
} from "../../src/revocation/ocsp.js";
import type { RevocationSubject } from "../../src/revocation/revocation.js";
import { openssl } from "../support/openssl_ca.js";
import { PATH, type RevocationLab, startRevocationLab } from "./lab.js";

let lab: RevocationLab;

beforeAll(async () => {
  lab = await startRevocationLab();
});

afterAll(async () => {
  await lab?.close();
});

const MINUTE = 60_000;
const SKEW_MS = 2 * MINUTE;

interface Asked {
  readonly hash?: CertIdHash;
  readonly nonce?: Uint8Array;
}

/** The raw answer of the openssl responder on `path` for `subject`. */
async function answerFrom(path: string, subject: RevocationSubject, asked: Asked = {}): Promise<Uint8Array> {
  const request = buildOcspRequest({ subject, hash: asked.hash ?? "sha1", nonce: asked.nonce });
  const response = await fetch(lab.server.url(path), {
    method: "POST",
    body: request,
    headers: { "content-type": "application/ocsp-request" },
  });
  expect(response.status).toBe(200);
  return new Uint8Array(await response.arrayBuffer());
}

function verify(
  bytes: Uint8Array,
  subject: RevocationSubject,
  options: Asked & { readonly now?: Date } = {},
): ReturnType<typeof verifyOcspResponse> {
  return verifyOcspResponse(bytes, {
    subject,
    hash: options.hash ?? "sha1",
    nonce: options.nonce,
    now: options.now ?? new Date(),
    clockSkewMs: SKEW_MS,
    maxAgeWithoutNextUpdateMs: 3_600_000,
  });
}

async function expectAnswer(promise: ReturnType<typeof verifyOcspResponse>): Promise<OcspAnswer> {
  const outcome = await promise;
  if (!outcome.ok) throw new Error(`expected an answer, got ${outcome.error.code}: ${outcome.error.detail}`);
  return outcome.value;
}

async function expectFailure(promise: ReturnType<typeof verifyOcspResponse>, code: RevocationFailureCode) {
  const outcome = await promise;
  expect(outcome.ok ? "answer" : outcome.error.code).toBe(code);
}

/** Re-encodes a real response after `mutate` changed its BasicOCSPResponse (the signed part stays as is). */
async function mutated(
  bytes: Uint8Array,
  mutate: (basic: pkijs.BasicOCSPResponse) => void | Promise<void>,
): Promise<Uint8Array> {
  const response = pkijs.OCSPResponse.fromBER(bytes);
  const responseBytes = response.responseBytes;
  if (responseBytes === undefined) throw new Error("no responseBytes");
  const basic = pkijs.BasicOCSPResponse.fromBER(responseBytes.response.valueBlock.valueHexView);
  await mutate(basic);
  responseBytes.response = new asn1js.OctetString({ valueHex: basic.toSchema().toBER(false) });
  return new Uint8Array(response.toSchema().toBER(false));
}

/** Changes an answer and signs it again with the CA's own key: only the change can make it fail. */
async function resignedByCa(
  bytes: Uint8Array,
  change: (basic: pkijs.BasicOCSPResponse) => void,
): Promise<Uint8Array> {
  const pkcs8 = await openssl(
    ["pkcs8", "-topk8", "-nocrypt", "-outform", "DER", "-in", lab.ca.cert.keyPath],
    "/",
  );
  const algorithm = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  const key = await crypto.subtle.importKey("pkcs8", new Uint8Array(pkcs8), algorithm, false, ["sign"]);
  return mutated(bytes, async (basic) => {
    change(basic);
    await basic.sign(key, "SHA-256");
  });
}

describe("the status in a verified answer", () => {
  it("reads good for a certificate the CA lists as valid", async () => {
    const subject = lab.subject(lab.certs.good);
    const answer = await expectAnswer(verify(await answerFrom(PATH.ocsp, subject), subject));
    expect(answer.status).toBe("good");
    expect(answer.nextUpdate).toBeInstanceOf(Date);
  });

  it("reads revoked with the revocation time and the reason keyCompromise", async () => {
    const subject = lab.subject(lab.certs.revokedKeyCompromise);
    const answer = await expectAnswer(verify(await answerFrom(PATH.ocsp, subject), subject));
    expect(answer.status).toBe("revoked");
    expect(answer.revocationReason).toBe("keyCompromise");
    expect(answer.revokedAt?.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it("reads revoked with the reason certificateHold for a suspended certificate", async () => {
    const subject = lab.subject(lab.certs.onHold);
    const answer = await expectAnswer(verify(await answerFrom(PATH.ocsp, subject), subject));
    expect(answer.status).toBe("revoked");
    expect(answer.revocationReason).toBe("certificateHold");
  });

  it("reads unknown for a certificate absent from the CA's database", async () => {
    const subject = lab.subject(lab.certs.unknownToResponder);
    const answer = await expectAnswer(verify(await answerFrom(PATH.ocsp, subject), subject));
    expect(answer.status).toBe("unknown");
  });

  it("reads good through a SHA-256 CertID", async () => {
    const subject = lab.subject(lab.certs.good);
    const bytes = await answerFrom(PATH.ocsp, subject, { hash: "sha256" });
    expect((await expectAnswer(verify(bytes, subject, { hash: "sha256" }))).status).toBe("good");
  });
});

describe("who may sign an answer", () => {
  it("accepts a delegated responder the CA issued with id-kp-OCSPSigning and ocsp-nocheck", async () => {
    const subject = lab.subject(lab.certs.good);
    const answer = await expectAnswer(verify(await answerFrom(PATH.ocsp, subject), subject));
    expect(answer.signer).toBe("delegated");
    expect(answer.responderToCheck).toBeUndefined();
  });

  it("accepts an answer the CA signed itself, its responderID by key hash, without nextUpdate", async () => {
    const subject = lab.subject(lab.certs.good);
    const answer = await expectAnswer(verify(await answerFrom(PATH.ocspSignedByCa, subject), subject));
    expect(answer.signer).toBe("issuer");
    expect(answer.status).toBe("good");
    expect(answer.nextUpdate).toBeUndefined();
  });

  it("refuses an answer without nextUpdate once its thisUpdate is older than the allowed age (no replay for ever)", async () => {
    const subject = lab.subject(lab.certs.good);
    const bytes = await answerFrom(PATH.ocspSignedByCa, subject);
    await expectAnswer(verify(bytes, subject, { now: new Date(Date.now() + 30 * 60_000) }));
    await expectFailure(verify(bytes, subject, { now: new Date(Date.now() + 2 * 3_600_000) }), "expired");
  });

  it("refuses a responder certificate issued by another CA with the same name", async () => {
    const subject = lab.subject(lab.certs.good);
    await expectFailure(
      verify(await answerFrom(PATH.ocspRogueSigner, subject), subject),
      "unauthorised-signer",
    );
  });

  it("refuses a certificate of the CA that lacks id-kp-OCSPSigning", async () => {
    const subject = lab.subject(lab.certs.good);
    await expectFailure(
      verify(await answerFrom(PATH.ocspSignerWithoutEku, subject), subject),
      "unauthorised-signer",
    );
  });

  it("asks for the revocation check of a delegated responder without ocsp-nocheck", async () => {
    const subject = lab.subject(lab.certs.good);
    const answer = await expectAnswer(verify(await answerFrom(PATH.ocspCheckedResponder, subject), subject));
    expect(answer.responderToCheck?.serialHex).toBe(lab.subject(lab.certs.checkedResponder).serialHex);
    expect(answer.responderToCheck?.crlUrls).toEqual([lab.server.url(PATH.crl)]);
  });

  it("refuses an answer whose signature was altered", async () => {
    const subject = lab.subject(lab.certs.good);
    const tampered = await mutated(await answerFrom(PATH.ocsp, subject), (basic) => {
      const signature = new Uint8Array(basic.signature.valueBlock.valueHexView);
      signature[10] = (signature[10] ?? 0) ^ 0xff;
      basic.signature = new asn1js.BitString({ valueHex: signature });
    });
    await expectFailure(verify(tampered, subject), "bad-signature");
  });

  it("refuses an answer from a delegated responder that left out its certificate", async () => {
    const subject = lab.subject(lab.certs.good);
    const stripped = await mutated(await answerFrom(PATH.ocsp, subject), (basic) => {
      basic.certs = undefined;
    });
    await expectFailure(verify(stripped, subject), "unknown-signer");
  });
});

describe("for which certificate and when", () => {
  it("refuses an answer for another serial", async () => {
    const askedFor = lab.subject(lab.certs.good);
    const checking = lab.subject(lab.certs.ocspOnly);
    await expectFailure(verify(await answerFrom(PATH.ocsp, askedFor), checking), "certid-mismatch");
  });

  it("refuses an answer whose CertID uses another hash algorithm than the request", async () => {
    const subject = lab.subject(lab.certs.good);
    const bytes = await answerFrom(PATH.ocsp, subject, { hash: "sha256" });
    await expectFailure(verify(bytes, subject, { hash: "sha1" }), "certid-mismatch");
  });

  it("refuses a delegated responder outside its certificate's validity period", async () => {
    const subject = lab.subject(lab.certs.good);
    const bytes = await answerFrom(PATH.ocsp, subject);
    const afterResponderExpiry = new Date(lab.certs.delegatedResponder.cert.notAfter.getTime() + 10 * MINUTE);
    await expectFailure(verify(bytes, subject, { now: afterResponderExpiry }), "unauthorised-signer");
  });

  it("refuses an answer whose nextUpdate has passed by more than the skew", async () => {
    const subject = lab.subject(lab.certs.good);
    const bytes = await answerFrom(PATH.ocspShortLived, subject);
    await expectFailure(verify(bytes, subject, { now: new Date(Date.now() + 30 * MINUTE) }), "expired");
  });

  it("accepts an answer whose nextUpdate passed within the skew", async () => {
    const subject = lab.subject(lab.certs.good);
    const bytes = await answerFrom(PATH.ocspShortLived, subject);
    const answer = await expectAnswer(verify(bytes, subject, { now: new Date(Date.now() + 2 * MINUTE) }));
    expect(answer.status).toBe("good");
  });

  it("refuses an answer whose thisUpdate is in the future", async () => {
    const subject = lab.subject(lab.certs.good);
    // CA-signed, so the check of the responder certificate's own validity cannot answer first.
    const bytes = await answerFrom(PATH.ocspSignedByCa, subject);
    await expectFailure(verify(bytes, subject, { now: new Date(Date.now() - 30 * MINUTE) }), "not-yet-valid");
  });
});

describe("a response that names the certificate more than once", () => {
  /** The SingleResponse of a real answer, re-decoded so it can be placed in another response. */
  async function singleFrom(path: string, subject: RevocationSubject, asked: Asked = {}) {
    const response = pkijs.OCSPResponse.fromBER(await answerFrom(path, subject, asked));
    const inner = response.responseBytes?.response.valueBlock.valueHexView;
    if (inner === undefined) throw new Error("no responseBytes");
    const single = pkijs.BasicOCSPResponse.fromBER(inner).tbsResponseData.responses[0];
    if (single === undefined) throw new Error("no SingleResponse");
    return pkijs.SingleResponse.fromBER(single.toSchema().toBER(false));
  }

  /** The responder's "revoked" for another certificate, relabelled with this certificate's CertID. */
  async function revokedFor(certId: pkijs.CertID) {
    const revoked = await singleFrom(PATH.ocspSignedByCa, lab.subject(lab.certs.revokedKeyCompromise));
    revoked.certID = certId;
    return revoked;
  }

  it("refuses a good and a revoked SingleResponse for the same CertID, the good one first", async () => {
    const subject = lab.subject(lab.certs.good);
    const good = await singleFrom(PATH.ocspSignedByCa, subject);
    const revoked = await revokedFor(good.certID);
    const bytes = await resignedByCa(await answerFrom(PATH.ocspSignedByCa, subject), (basic) => {
      basic.tbsResponseData.responses = [good, revoked];
    });
    await expectFailure(verify(bytes, subject), "malformed");
  });

  it("refuses two agreeing SingleResponses for the same CertID too (the rule is one per certificate)", async () => {
    const subject = lab.subject(lab.certs.good);
    const good = await singleFrom(PATH.ocspSignedByCa, subject);
    const bytes = await resignedByCa(await answerFrom(PATH.ocspSignedByCa, subject), (basic) => {
      basic.tbsResponseData.responses = [good, pkijs.SingleResponse.fromBER(good.toSchema().toBER(false))];
    });
    await expectFailure(verify(bytes, subject), "malformed");
  });

  it("refuses a good under the SHA-1 CertID asked and a revoked under the SHA-256 CertID of the same certificate", async () => {
    const subject = lab.subject(lab.certs.good);
    const good = await singleFrom(PATH.ocspSignedByCa, subject);
    const sha256Id = (await singleFrom(PATH.ocspSignedByCa, subject, { hash: "sha256" })).certID;
    const revoked = await revokedFor(sha256Id);
    const bytes = await resignedByCa(await answerFrom(PATH.ocspSignedByCa, subject), (basic) => {
      basic.tbsResponseData.responses = [good, revoked];
    });
    await expectFailure(verify(bytes, subject), "malformed");
  });

  it("accepts a response that also answers for another certificate (control)", async () => {
    const subject = lab.subject(lab.certs.good);
    const good = await singleFrom(PATH.ocspSignedByCa, subject);
    const other = await singleFrom(PATH.ocspSignedByCa, lab.subject(lab.certs.revokedKeyCompromise));
    const bytes = await resignedByCa(await answerFrom(PATH.ocspSignedByCa, subject), (basic) => {
      basic.tbsResponseData.responses = [other, good];
    });
    expect((await expectAnswer(verify(bytes, subject))).status).toBe("good");
  });
});

describe("the nonce", () => {
  const nonce = new Uint8Array(32).fill(7);

  it("accepts an answer that echoes the nonce sent", async () => {
    const subject = lab.subject(lab.certs.good);
    const bytes = await answerFrom(PATH.ocsp, subject, { nonce });
    expect((await expectAnswer(verify(bytes, subject, { nonce }))).status).toBe("good");
  });

  it("refuses a replayed answer that carries another nonce", async () => {
    const subject = lab.subject(lab.certs.good);
    const bytes = await answerFrom(PATH.ocsp, subject, { nonce });
    await expectFailure(verify(bytes, subject, { nonce: new Uint8Array(32).fill(8) }), "nonce-mismatch");
  });

  it("refuses an answer without a nonce when one was sent", async () => {
    const subject = lab.subject(lab.certs.good);
    const bytes = await answerFrom(PATH.ocsp, subject);
    await expectFailure(verify(bytes, subject, { nonce }), "nonce-mismatch");
  });
});

describe("critical extensions", () => {
  const critical = () =>
    new pkijs.Extension({
      extnID: "1.3.6.1.4.1.99999.1",
      critical: true,
      extnValue: new asn1js.Null().toBER(),
    });

  it("accepts an answer the CA re-signed after a change it understands (control)", async () => {
    const subject = lab.subject(lab.certs.good);
    const bytes = await resignedByCa(await answerFrom(PATH.ocspSignedByCa, subject), (basic) => {
      basic.tbsResponseData.producedAt = new Date();
    });
    expect((await expectAnswer(verify(bytes, subject))).status).toBe("good");
  });

  it("refuses an answer with a critical single extension it does not understand", async () => {
    const subject = lab.subject(lab.certs.good);
    const bytes = await resignedByCa(await answerFrom(PATH.ocspSignedByCa, subject), (basic) => {
      const single = basic.tbsResponseData.responses[0];
      if (single !== undefined) single.singleExtensions = [critical()];
    });
    await expectFailure(verify(bytes, subject), "unsupported");
  });

  it("refuses an answer with a critical response extension it does not understand", async () => {
    const subject = lab.subject(lab.certs.good);
    const bytes = await resignedByCa(await answerFrom(PATH.ocspSignedByCa, subject), (basic) => {
      basic.tbsResponseData.responseExtensions = [critical()];
    });
    await expectFailure(verify(bytes, subject), "unsupported");
  });
});

describe("what is not an answer", () => {
  it("refuses bytes that are not an OCSP response", async () => {
    const subject = lab.subject(lab.certs.good);
    await expectFailure(verify(new TextEncoder().encode("<html>"), subject), "malformed");
  });

  it.each([
    ["internalError", 2],
    ["tryLater", 3],
    ["unauthorized", 6],
  ])("refuses a %s responseStatus", async (_name, status) => {
    const subject = lab.subject(lab.certs.good);
    // OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED } without responseBytes.
    const bytes = new Uint8Array([0x30, 0x03, 0x0a, 0x01, status]);
    await expectFailure(verify(bytes, subject), "responder-status");
  });
});
