/**
 * ASN.1 schema of the PSD2 QC statement, ETSI TS 119 495 clause 5.1, shared by the decoder (qc_statements.ts)
 * and the certificate factory (src/demo/certificate_factory.ts) so the two cannot drift apart:
 *
 * ```asn1
 * etsi-psd2-qcStatement QC-STATEMENT ::= { SYNTAX PSD2QcType IDENTIFIED BY id-etsi-psd2-qcStatement }
 * id-etsi-psd2-qcStatement OBJECT IDENTIFIER ::= { itu-t(0) identified-organization(4) etsi(0) psd2(19495) qcstatement(2) }
 *
 * PSD2QcType ::= SEQUENCE {
 *   rolesOfPSP RolesOfPSP,
 *   nCAName    NCAName,
 *   nCAId      NCAId }
 * RolesOfPSP ::= SEQUENCE OF RoleOfPSP
 * RoleOfPSP ::= SEQUENCE {
 *   roleOfPspOid  RoleOfPspOid,
 *   roleOfPspName RoleOfPspName }
 * RoleOfPspOid  ::= OBJECT IDENTIFIER
 * RoleOfPspName ::= UTF8String (SIZE(1..256))
 * NCAName ::= UTF8String (SIZE (1..256))
 * NCAId   ::= UTF8String (SIZE (1..256))
 * ```
 *
 * Deviation, on purpose: the three strings are typed as X.520 DirectoryString (a CHOICE that includes
 * UTF8String) rather than UTF8String alone. Some QTSPs encode them as PrintableString; the text is the
 * same, so the decoder accepts it. The factory always writes UTF8String (see `psd2Text`).
 */
import { AsnArray, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes } from "@peculiar/asn1-schema";
import { DirectoryString } from "@peculiar/asn1-x509";

export const ID_ETSI_PSD2_QC_STATEMENT = "0.4.0.19495.2";

/** The string form TS 119 495 prescribes, for encoders. */
export function psd2Text(text: string): DirectoryString {
  return new DirectoryString({ utf8String: text });
}

export class RoleOfPsp {
  @AsnProp({ type: AsnPropTypes.ObjectIdentifier })
  public roleOfPspOid = "";

  @AsnProp({ type: DirectoryString })
  public roleOfPspName = new DirectoryString();

  public constructor(params: Partial<RoleOfPsp> = {}) {
    Object.assign(this, params);
  }
}

@AsnType({ type: AsnTypeTypes.Sequence, itemType: RoleOfPsp })
export class RolesOfPsp extends AsnArray<RoleOfPsp> {
  public constructor(items?: RoleOfPsp[]) {
    super(items);
    // AsnArray extends Array: without this, instances would lose the subclass prototype (and its schema).
    Object.setPrototypeOf(this, RolesOfPsp.prototype);
  }
}

export class Psd2QcType {
  @AsnProp({ type: RolesOfPsp })
  public rolesOfPSP = new RolesOfPsp();

  @AsnProp({ type: DirectoryString })
  public nCAName = new DirectoryString();

  @AsnProp({ type: DirectoryString })
  public nCAId = new DirectoryString();

  public constructor(params: Partial<Psd2QcType> = {}) {
    Object.assign(this, params);
  }
}
