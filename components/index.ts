export {
    CertificateOrder,
    prioritiesFromOrder,
    type CertificateOrderArgs,
    type CertificateReference,
    type OrderedCertificate,
} from "./certificateOrder";
