import PaymentsCore
import Signing

/// The fields the client posts to Payeer's merchant page (`payeer-createOrder`'s answer, DESIGN §2; research §2.1).
public struct PayeerOrderForm: Sendable, Equatable {
    /// Why a form cannot be built.
    public enum Failure: Error, Equatable, Sendable {
        /// `m_orderid` is empty, longer than 64 characters, or holds `:` or `|` (they split the signed text and
        /// the `<m_orderid>|success` answer).
        case malformedOrderID
        /// `m_params` could not be encrypted.
        case encryption
    }

    /// The only cipher the form declares for `m_params`.
    public static let cipherMethod = "AES-256-CBC"

    public var shop: String
    public var orderID: String
    /// `%.2f`, e.g. `10.00`.
    public var amount: String
    public var currency: String
    /// Base64 of the UTF-8 description.
    public var description: String
    /// AES-256-CBC of the JSON parameters, base64 then URL-encoded; nil when the form carries none.
    public var params: String?
    public var sign: String

    /// Builds and signs the form for one order in USD.
    /// - Parameters:
    ///   - orderID: unique per call (the session's `public_id`).
    ///   - successURL, failURL: where Payeer returns the browser; sent in `m_params` when a params key is configured
    ///     and at least one of them is given.
    /// - Throws: `Failure`.
    public init(
        configuration: PayeerConfiguration, orderID: String, amount: Money, description: String,
        successURL: String? = nil, failURL: String? = nil
    ) throws(Failure) {
        guard !orderID.isEmpty, orderID.count <= 64, !orderID.contains(":"), !orderID.contains("|") else {
            throw .malformedOrderID
        }
        shop = configuration.shopID
        self.orderID = orderID
        self.amount = amount.decimalString
        currency = "USD"
        self.description = Base64.encode(Array(description.utf8))
        var parameters: [(String, JSONValue)] = []
        if let successURL { parameters.append(("success_url", .string(successURL))) }
        if let failURL { parameters.append(("fail_url", .string(failURL))) }
        if let key = configuration.paramsKey, !parameters.isEmpty {
            params = try PayeerOrderForm.encryptParams(
                JSONValue.object(parameters).serialized(), key: key, orderID: orderID)
        }
        sign = PayeerSignature(secretKey: configuration.secretKey).formSign(
            shop: shop, orderID: orderID, amount: self.amount, currency: currency, description: self.description,
            params: params)
    }

    /// `openssl_encrypt($json, 'AES-256-CBC', md5(key . m_orderid))` as Payeer's PHP plugins call it: the key is the
    /// 32 ASCII characters of the lowercase md5 hex, the IV sixteen zero bytes; then base64, then PHP `urlencode`.
    static func encryptParams(_ json: String, key: Secret, orderID: String) throws(Failure) -> String {
        let aesKey = Array(Hex.encode(Digest.md5(Array((key.value + orderID).utf8))).utf8)
        do {
            let sealed = try AES.encrypt256CBC(
                Array(json.utf8), key: aesKey, iv: [UInt8](repeating: 0, count: 16))
            // Base64 text holds only letters, digits, `+`, `/` and `=`, where PHP's urlencode and FormEncoding agree.
            return FormEncoding.escape(Base64.encode(sealed))
        } catch {
            throw .encryption
        }
    }

    /// The answer body: `{m_shop, m_orderid, m_amount, m_curr, m_desc, m_sign, m_params?, m_cipher_method?}`.
    public var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("m_shop", .string(shop)), ("m_orderid", .string(orderID)), ("m_amount", .string(amount)),
            ("m_curr", .string(currency)), ("m_desc", .string(description)), ("m_sign", .string(sign)),
        ]
        if let params {
            members.append(("m_params", .string(params)))
            members.append(("m_cipher_method", .string(PayeerOrderForm.cipherMethod)))
        }
        return .object(members)
    }
}
