import CMariaDB

extension Statement {
    /// Fetches the whole result set of the last execution into `Row` values and frees it on the client.
    func readRows() throws(MariaDBError) -> [Row] {
        let count = kinds.count
        guard count > 0 else { return [] }
        for index in 0..<count {
            let bind = resultBinds + index
            bind.pointee = MYSQL_BIND()
            bind.pointee.buffer = buffers[index]
            bind.pointee.buffer_length = UInt(capacities[index])
            bind.pointee.is_null = nullFlags + index
            bind.pointee.length = lengths + index
            switch kinds[index] {
            case .integer(let unsigned):
                bind.pointee.buffer_type = MYSQL_TYPE_LONGLONG
                bind.pointee.is_unsigned = unsigned ? 1 : 0
            case .double: bind.pointee.buffer_type = MYSQL_TYPE_DOUBLE
            case .datetime: bind.pointee.buffer_type = MYSQL_TYPE_DATETIME
            case .text: bind.pointee.buffer_type = MYSQL_TYPE_STRING
            case .binary: bind.pointee.buffer_type = MYSQL_TYPE_BLOB
            }
        }
        if mysql_stmt_bind_result(stmt, resultBinds) != 0 { throw Statement.error(of: stmt, statement: sql) }
        // Buffering the whole set frees the connection for the next statement and lets us size the array.
        if mysql_stmt_store_result(stmt) != 0 {
            let error = Statement.error(of: stmt, statement: sql)
            mysql_stmt_free_result(stmt)
            throw error
        }
        defer { mysql_stmt_free_result(stmt) }

        var rows: [Row] = []
        rows.reserveCapacity(Int(truncatingIfNeeded: mysql_stmt_num_rows(stmt)))
        var grow: [Int: Int] = [:]
        while true {
            let status = mysql_stmt_fetch(stmt)
            if status == MYSQL_NO_DATA { break }
            if status != 0 && status != MYSQL_DATA_TRUNCATED { throw Statement.error(of: stmt, statement: sql) }
            var values: [SQLValue] = []
            values.reserveCapacity(count)
            for index in 0..<count {
                values.append(try value(at: index, grow: &grow))
            }
            rows.append(Row(columnNames: columnNames, values: values))
        }
        for (index, size) in grow { growBuffer(index, to: size) }
        return rows
    }

    /// Converts column `index` of the current row; a value longer than its buffer is fetched with an exact one.
    private func value(at index: Int, grow: inout [Int: Int]) throws(MariaDBError) -> SQLValue {
        if nullFlags[index] != 0 { return .null }
        let buffer = UnsafeRawPointer(buffers[index])
        switch kinds[index] {
        case .integer:
            return .int(buffer.loadUnaligned(as: Int64.self))
        case .double:
            return .double(buffer.loadUnaligned(as: Double.self))
        case .datetime:
            return .datetime(
                unixMicroseconds: Statement.unixMicroseconds(of: buffer.loadUnaligned(as: MYSQL_TIME.self)))
        case .text, .binary:
            let length = Int(lengths[index])
            let isText: Bool
            if case .text = kinds[index] { isText = true } else { isText = false }
            if length <= capacities[index] {
                // Text is decoded straight from the column buffer: no byte array in between.
                let bytes = UnsafeRawBufferPointer(start: buffer, count: length)
                return isText ? .text(String(decoding: bytes, as: UTF8.self)) : .bytes(Array(bytes))
            }
            let bytes = try fetchLong(column: index, length: length)
            if length <= Statement.maximumReusedBuffer { grow[index] = max(grow[index] ?? 0, length) }
            return isText ? .text(String(decoding: bytes, as: UTF8.self)) : .bytes(bytes)
        }
    }

    /// Reads a truncated column again into a buffer of its full length.
    private func fetchLong(column index: Int, length: Int) throws(MariaDBError) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: length)
        var fetchedLength: UInt = 0
        var isNull: my_bool = 0
        let status = result.withUnsafeMutableBytes { target in
            withUnsafeMutablePointer(to: &fetchedLength) { lengthPointer in
                withUnsafeMutablePointer(to: &isNull) { nullPointer in
                    var bind = MYSQL_BIND()
                    bind.buffer_type = resultBinds[index].buffer_type
                    bind.buffer = target.baseAddress
                    bind.buffer_length = UInt(length)
                    bind.length = lengthPointer
                    bind.is_null = nullPointer
                    return mysql_stmt_fetch_column(stmt, &bind, UInt32(index), 0)
                }
            }
        }
        if status != 0 { throw Statement.error(of: stmt, statement: sql) }
        if Int(fetchedLength) < length { result.removeLast(length - Int(fetchedLength)) }
        return result
    }

    /// Replaces a column's reusable buffer with a larger one, so later rows fit in one fetch.
    private func growBuffer(_ index: Int, to size: Int) {
        guard size > capacities[index] else { return }
        buffers[index].deallocate()
        buffers[index] = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        capacities[index] = size
    }
}
