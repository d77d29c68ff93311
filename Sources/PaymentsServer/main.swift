import ArgumentParser

PaymentsFCGICommand.main()
