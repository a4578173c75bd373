import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import type { IssuedCertificate } from "../demo/certificate_factory.js";

/** id-pkix-ocsp-basic (RFC 6960 4.2.1). */
const ID_PKIX_OCSP_BASIC = "1.3.6.1.5.5.7.48.1.1";

/**
 * The warm-up's own OCSP responder on loopback: it answers "good" for any request about a certificate of
 * the warm-up CAs, signed by that CA itself (RFC 6960 4.2.2.2: the CA may sign its own answers), so the
 * warm-up Checks run the revocation client end to end (request, fetch, parse, signature, cache) without a
 * byte leaving the machine. Anything else gets 16 zero bytes, which the client refuses as malformed.
 */
export class WarmUpResponder {
  private readonly server: Server;
  private port = 0;

  constructor(private readonly cas: readonly IssuedCertificate[]) {
    this.server = createServer((request, response) => {
      void this.answer(request).then((body) => {
        response.setHeader("content-type", "application/ocsp-response");
        response.end(body);
      });
    });
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => {
        this.port = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async answer(request: IncomingMessage): Promise<Uint8Array> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    try {
      return await this.goodAnswer(new Uint8Array(Buffer.concat(chunks)));
    } catch {
      return new Uint8Array(16);
    }
  }

  private async goodAnswer(body: Uint8Array): Promise<Uint8Array> {
    const asked = pkijs.OCSPRequest.fromBER(body).tbsRequest.requestList[0]?.reqCert;
    const ca = asked === undefined ? undefined : this.caFor(asked);
    if (asked === undefined || ca === undefined) return new Uint8Array(16);
    const issuer = pkijs.Certificate.fromBER(ca.cert.rawData);
    const now = Date.now();
    const basic = new pkijs.BasicOCSPResponse();
    basic.tbsResponseData.responderID = issuer.subject;
    basic.tbsResponseData.producedAt = new Date(now);
    basic.tbsResponseData.responses.push(
      new pkijs.SingleResponse({
        certID: asked,
        certStatus: new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 } }), // good [0] IMPLICIT NULL
        thisUpdate: new Date(now - 60_000),
        nextUpdate: new Date(now + 3_600_000),
      }),
    );
    await basic.sign(ca.keys.privateKey, "SHA-256");
    const response = new pkijs.OCSPResponse({
      responseStatus: new asn1js.Enumerated({ value: 0 }),
      responseBytes: new pkijs.ResponseBytes({
        responseType: ID_PKIX_OCSP_BASIC,
        response: new asn1js.OctetString({ valueHex: basic.toSchema().toBER(false) }),
      }),
    });
    return new Uint8Array(response.toSchema().toBER(false));
  }

  /** The CA whose key the CertID names (issuerKeyHash: SHA-1 of the subjectPublicKey BIT STRING value). */
  private caFor(certId: pkijs.CertID): IssuedCertificate | undefined {
    const wanted = Buffer.from(certId.issuerKeyHash.valueBlock.valueHexView).toString("hex");
    return this.cas.find((ca) => {
      const key = pkijs.Certificate.fromBER(ca.cert.rawData).subjectPublicKeyInfo.subjectPublicKey;
      return createHash("sha1").update(key.valueBlock.valueHexView).digest("hex") === wanted;
    });
  }
}
