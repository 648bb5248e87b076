"""qbXML: render requests from templates, fit text to QuickBooks, validate against the XSD, parse responses."""
