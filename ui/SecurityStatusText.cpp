#include "SecurityStatusText.h"

namespace sealpost::ui {

namespace {

QString signerName(const smime::OpenReport& r) {
    for (const auto& s : r.signers) {
        if (s.coversWholeMessage && !s.emails.empty()) {
            return QString::fromStdString(s.emails.front());
        }
    }
    return {};
}

} // namespace

QString SecurityStatusText::headline(const smime::OpenReport& r) {
    const bool encrypted = r.encryption == smime::EncryptionState::Decrypted && r.coversWholeMessage;
    const bool signedOk =
        r.signature == smime::SignatureState::Valid && r.coversWholeMessage && r.signerMatchesFrom.value_or(false);
    if (r.encryption == smime::EncryptionState::Failed) {
        return tr("Encrypted, but none of your keys can open it");
    }
    if (signedOk && encrypted) {
        return tr("Signed by %1 and encrypted").arg(signerName(r));
    }
    if (signedOk) {
        return tr("Signed by %1, not encrypted").arg(signerName(r));
    }
    QString signature;
    switch (r.signature) {
    case smime::SignatureState::None: signature = tr("not signed"); break;
    case smime::SignatureState::Valid: signature = tr("signature does not vouch for this message as shown"); break;
    case smime::SignatureState::Invalid: signature = tr("the signature is broken: the message was changed"); break;
    case smime::SignatureState::Untrusted: signature = tr("signed by a certificate you do not trust"); break;
    case smime::SignatureState::Expired: signature = tr("signed with an expired certificate"); break;
    case smime::SignatureState::Error: signature = tr("the signature could not be checked"); break;
    }
    return encrypted ? tr("Encrypted, %1").arg(signature) : tr("Not encrypted, %1").arg(signature);
}

QString SecurityStatusText::warning(smime::OpenWarning w) {
    using W = smime::OpenWarning;
    switch (w) {
    case W::SignedPartInsideUnprotectedContent: return tr("Only part of this message is signed.");
    case W::EncryptedPartInsideUnprotectedContent: return tr("Only part of this message was encrypted.");
    case W::MultipartSignedPartCount: return tr("The signed message is malformed.");
    case W::MultipartSignedProtocolMismatch: return tr("The signature part is not an S/MIME signature.");
    case W::NoSignerInfos: return tr("The signature names no signer.");
    case W::MultipleSigners: return tr("The message carries several signatures.");
    case W::EContentTypeNotData: return tr("The signature covers something other than this message.");
    case W::SignerDoesNotMatchFrom: return tr("The signer is not the sender shown in From.");
    case W::MultipleFromAddresses: return tr("The message names several senders.");
    case W::ProtectedFromDiffers: return tr("The visible sender differs from the protected one.");
    case W::ProtectedSubjectDiffers: return tr("The visible subject differs from the protected one.");
    case W::SignerCertificateExpiredSinceSigning: return tr("The signer's certificate has expired since signing.");
    case W::SigningTimeInFuture: return tr("The signing time lies in the future.");
    case W::UnauthenticatedEncryption: return tr("The encryption does not protect against tampering.");
    case W::DecryptionFailed: return tr("The message could not be decrypted.");
    case W::BrokenSmimePart: return tr("A security part of the message is damaged.");
    case W::NestingLimitReached: return tr("The message is nested too deeply to check completely.");
    }
    return tr("Unknown problem.");
}

QStringList SecurityStatusText::warnings(const smime::OpenReport& r) {
    QStringList out;
    for (auto w : r.warnings) {
        out << warning(w);
    }
    return out;
}

} // namespace sealpost::ui
