import CMariaDB

extension Statement {
    /// Binds `binds` to the placeholders (copied into the statement's reused `ParameterBuffers`) and executes.
    func bindAndExecute(_ binds: [SQLValue]) throws(MariaDBError) {
        guard binds.count == parameterCount else {
            throw MariaDBError(
                code: 0, message: "statement takes \(parameterCount) values, \(binds.count) given", statement: sql)
        }
        var byteCount = 0
        for value in binds { byteCount += ParameterBuffers.slotSize(of: value) }
        let storage = parameters.reset(byteCount: byteCount)
        defer { parameters.releaseOversized() }

        var offset = 0
        for (index, value) in binds.enumerated() {
            let bind = parameters.binds + index
            let slot = storage + offset
            offset += ParameterBuffers.slotSize(of: value)
            switch value {
            case .null:
                bind.pointee.buffer_type = MYSQL_TYPE_NULL
            case .int(let number):
                slot.storeBytes(of: number, as: Int64.self)
                bind.pointee.buffer_type = MYSQL_TYPE_LONGLONG
                bind.pointee.buffer = slot
            case .double(let number):
                slot.storeBytes(of: number, as: Double.self)
                bind.pointee.buffer_type = MYSQL_TYPE_DOUBLE
                bind.pointee.buffer = slot
            case .text(let text):
                var text = text
                let length = text.withUTF8 { bytes in Statement.copy(UnsafeRawBufferPointer(bytes), to: slot) }
                bind.pointee.buffer_type = MYSQL_TYPE_STRING
                bind.pointee.buffer = slot
                bind.pointee.buffer_length = UInt(length)
                parameters.lengths[index] = UInt(length)
                bind.pointee.length = parameters.lengths + index
            case .bytes(let bytes):
                let length = bytes.withUnsafeBytes { Statement.copy($0, to: slot) }
                bind.pointee.buffer_type = MYSQL_TYPE_BLOB
                bind.pointee.buffer = slot
                bind.pointee.buffer_length = UInt(length)
                parameters.lengths[index] = UInt(length)
                bind.pointee.length = parameters.lengths + index
            case .datetime(let micros):
                slot.storeBytes(of: Statement.mysqlTime(unixMicroseconds: micros), as: MYSQL_TIME.self)
                bind.pointee.buffer_type = MYSQL_TYPE_DATETIME
                bind.pointee.buffer = slot
            }
        }
        if !binds.isEmpty && mysql_stmt_bind_param(stmt, parameters.binds) != 0 {
            throw Statement.error(of: stmt, statement: sql)
        }
        if mysql_stmt_execute(stmt) != 0 {
            throw Statement.error(of: stmt, statement: sql)
        }
        if Int(mysql_stmt_field_count(stmt)) != kinds.count { loadColumns() }
    }

    /// Copies `bytes` into `slot` (sized by `ParameterBuffers.slotSize(of:)`) and returns their count.
    private static func copy(_ bytes: UnsafeRawBufferPointer, to slot: UnsafeMutableRawPointer) -> Int {
        if let base = bytes.baseAddress, bytes.count > 0 {
            slot.copyMemory(from: base, byteCount: bytes.count)
        }
        return bytes.count
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
