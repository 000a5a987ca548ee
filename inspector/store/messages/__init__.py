"""A tab's messages: records, the bounded log, filters, rate, payload views and copy-as."""
