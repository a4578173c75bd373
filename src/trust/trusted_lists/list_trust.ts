import type { X509Certificate } from "@peculiar/x509";
import { fail, type Result } from "../../foundation/result.js";
import { type ChainOptions, type ChainResult, verifyChain } from "../chain.js";
import type { TrustStore } from "../trust_store.js";
import { trustStoreFromCertificates } from "../trust_store.js";
import { qualificationDenial } from "./denial.js";
import {
  type Qualification,
  qualifyForWebsiteAuthentication,
  qualifyUnderListedAnchor,
} from "./qualification.js";
import type { TrustedListsView } from "./store.js";

/** What the certificate cache needs from list-based trust: a chain verdict and when it goes stale. */
export interface ChainVerifier {
  /** Changes whenever the lists change: a cached verdict from another generation is not used. */
  readonly generation: number;
  verify(leaf: X509Certificate, anchors: TrustStore, options: ChainOptions): Promise<Result<ChainResult>>;
}

/**
 * Trust from the EU lists (ETSI TS 119 615): the leaf must be issued by a listed service that is granted for
 * website authentication at its notBefore and now, and its chain must verify by signature up to that
 * service's certificate. A CA on no list may still chain to `trust.anchors` (private and test PKIs); a CA
 * the lists name but do not qualify never falls back to the anchors: the list has the last word.
 */
export class ListTrust implements ChainVerifier {
  private seen: TrustedListsView | undefined;
  private counter = 0;

  constructor(private readonly views: { readonly view: TrustedListsView }) {}

  private listed:
    | { view: TrustedListsView; intermediates: TrustStore["intermediates"]; store: TrustStore | undefined }
    | undefined;

  /** All listed certificates as anchors, built once per view (never per Check). */
  private listedStore(anchors: TrustStore): TrustStore | undefined {
    const view = this.views.view;
    if (this.listed?.view !== view || this.listed.intermediates !== anchors.intermediates) {
      const certs = view.index.certificates();
      this.listed = {
        view,
        intermediates: anchors.intermediates,
        store: certs.length === 0 ? undefined : trustStoreFromCertificates(certs, anchors.intermediates),
      };
    }
    return this.listed.store;
  }

  get generation(): number {
    const view = this.views.view;
    if (view !== this.seen) {
      this.seen = view;
      this.counter += 1;
    }
    return this.counter;
  }

  async verify(
    leaf: X509Certificate,
    anchors: TrustStore,
    options: ChainOptions,
  ): Promise<Result<ChainResult>> {
    return (await this.assess(leaf, anchors, options)).chain;
  }

  /**
   * The chain verdict with the qualification it rests on: the service uses the chain, `qwac inspect
   * --config` reports both, so the CLI states what the service decided and cannot disagree with it.
   */
  async assess(leaf: X509Certificate, anchors: TrustStore, options: ChainOptions): Promise<ListAssessment> {
    const index = this.views.view.index;
    let q = await qualifyForWebsiteAuthentication(index, leaf, options.now);
    if (q.listed && q.qualified) {
      const chain = await verifyChain(leaf, trustStoreFromCertificates(q.serviceCertificates, []), options);
      return { qualification: q, chain };
    }
    if (!q.listed) {
      // The listed certificate may sit above the issuing CA (a list naming a root): build the path to
      // any listed certificate through the configured and offered intermediates, then decide on the
      // service at its top (ETSI TS 119 615 §4.3.2, as DSS).
      const listed = this.listedStore(anchors);
      const chain = listed === undefined ? undefined : await verifyChain(leaf, listed, options);
      if (chain?.ok) {
        q = await qualifyUnderListedAnchor(index, leaf, chain.value.anchor, options.now);
        if (q.listed && q.qualified) return { qualification: q, chain };
      }
    }
    const refused = qualificationDenial(q, leaf.subject);
    if (!q.listed && anchors.anchors.length > 0) {
      const chain = await verifyChain(leaf, anchors, options);
      if (chain.ok) return { qualification: q, chain };
    }
    return {
      qualification: q,
      chain: refused === undefined ? await verifyChain(leaf, anchors, options) : fail(refused),
    };
  }
}

/** What list-based trust concluded about one certificate. */
export interface ListAssessment {
  readonly qualification: Qualification;
  /** Ok: trusted (by a qualifying list, or, for a CA on no list, by trust.anchors); else the denial. */
  readonly chain: Result<ChainResult>;
}
