#include "mime/MimeEntity.h"

#include "mime/Ascii.h"

namespace sealpost::mime {

const HeaderField* MimeEntity::header(std::string_view name) const {
    for (const HeaderField& field : headers) {
        if (equalsIgnoreCase(field.name, name)) {
            return &field;
        }
    }
    return nullptr;
}

std::string MimeEntity::headerValue(std::string_view name) const {
    const HeaderField* field = header(name);
    return field == nullptr ? std::string() : field->value();
}

bool MimeEntity::isMultipart() const {
    return contentType.type == "multipart";
}

} // namespace sealpost::mime
