/** ETSI TS 119 612 Annex C/D namespaces (unchanged from v5 to v6). */
export const NS_TSL = "http://uri.etsi.org/02231/v2#";
export const NS_TSLX = "http://uri.etsi.org/02231/v2/additionaltypes#";
export const NS_ECC = "http://uri.etsi.org/TrstSvc/SvcInfoExt/eSigDir-1999-93-EC-TrustedList/#";
export const NS_XADES = "http://uri.etsi.org/01903/v1.3.2#";
export const NS_DS = "http://www.w3.org/2000/09/xmldsig#";
