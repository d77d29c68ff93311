import CMariaDB

extension Statement {
    /// Binds `binds` to the placeholders and executes; the bound memory lives until `mysql_stmt_execute` returns.
    func bindAndExecute(_ binds: [SQLValue]) throws(MariaDBError) {
        guard binds.count == parameterCount else {
            throw MariaDBError(
                code: 0, message: "statement takes \(parameterCount) values, \(binds.count) given", statement: sql)
        }
        let count = max(binds.count, 1)
        let params = UnsafeMutablePointer<MYSQL_BIND>.allocate(capacity: count)
        params.initialize(repeating: MYSQL_BIND(), count: count)
        let paramLengths = UnsafeMutablePointer<UInt>.allocate(capacity: count)
        paramLengths.initialize(repeating: 0, count: count)
        var storage: [UnsafeMutableRawPointer] = []
        storage.reserveCapacity(binds.count)
        defer {
            for pointer in storage { pointer.deallocate() }
            params.deallocate()
            paramLengths.deallocate()
        }

        for (index, value) in binds.enumerated() {
            let bind = params + index
            switch value {
            case .null:
                bind.pointee.buffer_type = MYSQL_TYPE_NULL
            case .int(let number):
                let buffer = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)
                buffer.storeBytes(of: number, as: Int64.self)
                storage.append(buffer)
                bind.pointee.buffer_type = MYSQL_TYPE_LONGLONG
                bind.pointee.buffer = buffer
            case .double(let number):
                let buffer = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)
                buffer.storeBytes(of: number, as: Double.self)
                storage.append(buffer)
                bind.pointee.buffer_type = MYSQL_TYPE_DOUBLE
                bind.pointee.buffer = buffer
            case .text(let text):
                var text = text
                let buffer = text.withUTF8 { bytes in Statement.copy(UnsafeRawBufferPointer(bytes)) }
                storage.append(buffer.pointer)
                bind.pointee.buffer_type = MYSQL_TYPE_STRING
                bind.pointee.buffer = buffer.pointer
                bind.pointee.buffer_length = UInt(buffer.count)
                paramLengths[index] = UInt(buffer.count)
                bind.pointee.length = paramLengths + index
            case .bytes(let bytes):
                let buffer = bytes.withUnsafeBytes { Statement.copy($0) }
                storage.append(buffer.pointer)
                bind.pointee.buffer_type = MYSQL_TYPE_BLOB
                bind.pointee.buffer = buffer.pointer
                bind.pointee.buffer_length = UInt(buffer.count)
                paramLengths[index] = UInt(buffer.count)
                bind.pointee.length = paramLengths + index
            case .datetime(let micros):
                let buffer = UnsafeMutableRawPointer.allocate(
                    byteCount: MemoryLayout<MYSQL_TIME>.size, alignment: MemoryLayout<MYSQL_TIME>.alignment)
                buffer.initializeMemory(
                    as: MYSQL_TIME.self, repeating: Statement.mysqlTime(unixMicroseconds: micros), count: 1)
                storage.append(buffer)
                bind.pointee.buffer_type = MYSQL_TYPE_DATETIME
                bind.pointee.buffer = buffer
            }
        }
        if !binds.isEmpty && mysql_stmt_bind_param(stmt, params) != 0 {
            throw Statement.error(of: stmt, statement: sql)
        }
        if mysql_stmt_execute(stmt) != 0 {
            throw Statement.error(of: stmt, statement: sql)
        }
        if Int(mysql_stmt_field_count(stmt)) != kinds.count { loadColumns() }
    }

    /// A heap copy of `bytes` (at least one byte, so the pointer is never null for empty values).
    private static func copy(_ bytes: UnsafeRawBufferPointer) -> (pointer: UnsafeMutableRawPointer, count: Int) {
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
        if let base = bytes.baseAddress, bytes.count > 0 {
            pointer.copyMemory(from: base, byteCount: bytes.count)
        }
        return (pointer, bytes.count)
    }

    /// Splits microseconds since the epoch into a UTC `MYSQL_TIME`.
    static func mysqlTime(unixMicroseconds micros: Int64) -> MYSQL_TIME {
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        let fraction = micros - seconds * 1_000_000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let date = CivilTime.date(days: days)
        var time = MYSQL_TIME()
        time.year = UInt32(truncatingIfNeeded: date.year)
        time.month = UInt32(truncatingIfNeeded: date.month)
        time.day = UInt32(truncatingIfNeeded: date.day)
        time.hour = UInt32(secondOfDay / 3600)
        time.minute = UInt32(secondOfDay % 3600 / 60)
        time.second = UInt32(secondOfDay % 60)
        time.second_part = UInt(fraction)
        time.time_type = MYSQL_TIMESTAMP_DATETIME
        return time
    }

    /// Microseconds since the epoch of a `MYSQL_TIME` read in UTC.
    static func unixMicroseconds(of time: MYSQL_TIME) -> Int64 {
        let days = CivilTime.days(year: Int64(time.year), month: Int64(time.month), day: Int64(time.day))
        let seconds = days * 86_400 + Int64(time.hour) * 3600 + Int64(time.minute) * 60 + Int64(time.second)
        return seconds * 1_000_000 + Int64(time.second_part)
    }
}
