/// How a transaction body wants its transaction to end.
enum TransactionEnd<Value> {
    case commit(Value)
    /// Roll back and still return the value (e.g. a duplicate event: nothing may be written).
    case rollback(Value)
}
