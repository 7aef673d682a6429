// Unsolicited reports: node 4, a temperature sensor, sends a Multilevel Sensor Report of
// 23.5 °C on its own whenever it receives a Basic Set (the test's trigger; real sensors send
// on a timer or a change). Network file for the zwave-js mock controller.
module.exports.default = ({ require }) => {
	const { BasicCCSet, MultilevelSensorCCReport } = require("@zwave-js/cc");
	return {
		controller: { homeId: 0xc0ffee08, ownNodeId: 1 },
		nodes: [
			{
				id: 4,
				capabilities: {
					genericDeviceClass: 0x21,
					specificDeviceClass: 0x01,
					commandClasses: [
						{
							ccId: 0x31,
							isSupported: true,
							version: 11,
							sensors: { 1: { supportedScales: [0] } },
							getValue: () => 21.5,
						},
						{ ccId: 0x20, isSupported: true, version: 1 },
					],
				},
			},
		],
		onInit(controller, nodes) {
			nodes[0].defineBehavior({
				handleCC(controller, self, cc) {
					if (!(cc instanceof BasicCCSet)) return undefined;
					const report = new MultilevelSensorCCReport({
						nodeId: controller.ownNodeId,
						type: 1,
						scale: 0,
						value: 23.5,
					});
					return { action: "sendCC", cc: report };
				},
			});
		},
	};
};
